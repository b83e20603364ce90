"""Errors a user can cause and fix. Each carries a one-line message meant to be printed as is."""


class VendorcheckError(Exception):
    """Base for every error the CLI and the bot report as one line, without a traceback."""


class IndexMissingError(VendorcheckError):
    pass


class IndexIncompatibleError(VendorcheckError):
    pass


class IndexCorruptError(VendorcheckError):
    pass


class ArticleError(VendorcheckError):
    """A single article file that cannot be read; the rest of the corpus still is."""


class ModelError(VendorcheckError):
    pass
