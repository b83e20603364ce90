"""vendorcheck engine: ingestion, chunking, embedding, on-disk index and retrieval.

Nothing in this package knows about Slack; `bot/` renders what it returns. The names below are
its public API (what `bot/` uses); everything else is an implementation detail of a
sub-package (see ARCHITECTURE-index.md)::

    from index import EngineConfig, build, open_retriever

    config = EngineConfig.from_env()
    build(config)
    answer = open_retriever(config).ask("is Kaspersky allowed on GSA?")

The names are lazy (PEP 562): each is imported from its module on first use, so `vendorcheck
ask` loads only what answering needs, and `import index.errors` loads nothing else.
"""

from typing import TYPE_CHECKING

from index._lazy import lazy_exports

if TYPE_CHECKING:  # what the names are, for type checkers and editors (kept equal by a test)
    from index.articles import Article
    from index.config import EngineConfig, env_number, load_env_file
    from index.embed.model import Embedder, model_id_for
    from index.engine import (
        build,
        make_embedder,
        open_retriever,
        open_stored,
        store_label,
        store_of,
    )
    from index.errors import (
        ArticleError,
        IndexCorruptError,
        IndexIncompatibleError,
        IndexMissingError,
        ModelError,
        VendorcheckError,
    )
    from index.ingest.extract import NoTextError, NotHtmlError
    from index.ingest.feeds import FeedConfigError, FeedError
    from index.ingest.fetch import (
        FetchError,
        FetchLimits,
        HttpStatusError,
        NetworkError,
        TooLargeError,
        UrlRefusedError,
    )
    from index.ingest.refresh import FeedSummary, Outcome, RefreshReport, add_urls, sync_feeds
    from index.lists.answers import ListStatusProvider
    from index.lists.common import ListDataError
    from index.lists.model import ListSnapshot
    from index.lists.status import VendorStatus, vendor_status
    from index.lists.store import load_snapshot
    from index.lists.sync import SyncReport, sync_lists
    from index.search.filters import FilterError, QueryFilters, parse_date
    from index.search.plan import MAX_QUERY_CHARS
    from index.search.results import Answer, ArticleRef, Result
    from index.search.retriever import Retriever
    from index.store.builder import BuildReport
    from index.store.pg_schema import EngineStoreError
    from index.store.pg_server import EngineServerError
    from index.store.reader import StoredIndex, open_index
    from index.vendors.aliases import AliasFileError
    from index.watch.watchlist import Watchlist, WatchlistError

__all__ = [
    "MAX_QUERY_CHARS",
    "AliasFileError",
    "Answer",
    "Article",
    "ArticleError",
    "ArticleRef",
    "BuildReport",
    "Embedder",
    "EngineConfig",
    "EngineServerError",
    "EngineStoreError",
    "FeedConfigError",
    "FeedError",
    "FeedSummary",
    "FetchError",
    "FetchLimits",
    "FilterError",
    "HttpStatusError",
    "IndexCorruptError",
    "IndexIncompatibleError",
    "IndexMissingError",
    "ListDataError",
    "ListSnapshot",
    "ListStatusProvider",
    "ModelError",
    "NetworkError",
    "NoTextError",
    "NotHtmlError",
    "Outcome",
    "QueryFilters",
    "RefreshReport",
    "Result",
    "Retriever",
    "StoredIndex",
    "SyncReport",
    "TooLargeError",
    "UrlRefusedError",
    "VendorStatus",
    "VendorcheckError",
    "Watchlist",
    "WatchlistError",
    "add_urls",
    "build",
    "env_number",
    "load_env_file",
    "load_snapshot",
    "make_embedder",
    "model_id_for",
    "open_index",
    "open_retriever",
    "open_stored",
    "parse_date",
    "store_label",
    "store_of",
    "sync_feeds",
    "sync_lists",
    "vendor_status",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        # configuration: read from the environment once, overridable by CLI flags
        "index.config": ("EngineConfig", "env_number", "load_env_file"),
        # the engine: build the index, open a retriever, ask it
        "index.engine": (
            "build",
            "make_embedder",
            "open_retriever",
            "open_stored",
            "store_label",
            "store_of",
        ),
        # search filters: publisher, dates, vendor (also read from the question's text)
        "index.search.filters": ("FilterError", "QueryFilters", "parse_date"),
        "index.store.builder": ("BuildReport",),
        "index.store.reader": ("StoredIndex", "open_index"),
        "index.search.retriever": ("Retriever",),
        "index.search.plan": ("MAX_QUERY_CHARS",),
        "index.search.results": ("Answer", "ArticleRef", "Result"),
        "index.articles": ("Article",),
        "index.embed.model": ("Embedder", "model_id_for"),
        # keeping the corpus fresh: add URLs, sync feeds (then index)
        "index.ingest.refresh": (
            "FeedSummary",
            "Outcome",
            "RefreshReport",
            "add_urls",
            "sync_feeds",
        ),
        "index.ingest.fetch": (
            "FetchLimits",
            "FetchError",
            "HttpStatusError",
            "NetworkError",
            "TooLargeError",
            "UrlRefusedError",
        ),
        # watchlists and the official US restriction lists
        "index.watch.watchlist": ("Watchlist", "WatchlistError"),
        "index.lists.answers": ("ListStatusProvider",),
        "index.lists.model": ("ListSnapshot",),
        "index.lists.status": ("VendorStatus", "vendor_status"),
        "index.lists.store": ("load_snapshot",),
        "index.lists.sync": ("SyncReport", "sync_lists"),
        # errors: every one a VendorcheckError, with a one-line message meant to be printed
        # (FetchError and its kinds, WatchlistError: above, beside what raises them)
        "index.errors": (
            "ArticleError",
            "IndexCorruptError",
            "IndexIncompatibleError",
            "IndexMissingError",
            "ModelError",
            "VendorcheckError",
        ),
        "index.vendors.aliases": ("AliasFileError",),
        "index.ingest.extract": ("NoTextError", "NotHtmlError"),
        "index.ingest.feeds": ("FeedConfigError", "FeedError"),
        "index.lists.common": ("ListDataError",),
        "index.store.pg_schema": ("EngineStoreError",),
        "index.store.pg_server": ("EngineServerError",),
    },
)
