"""Logging for `vendorcheck serve`: one format on stderr, and secrets redacted from every record
(ours, Bolt's, slack_sdk's and uvicorn's) before any handler sees it."""

from __future__ import annotations

import logging
import re
import sys

_TOKEN_LIKE = re.compile(r"\b(xox[a-z]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+)")
# Slack's legacy verification token travels in every payload ("token": ...), and a
# response_url lets anyone post to the channel for 30 minutes: neither belongs in a log.
_TOKEN_FIELD = re.compile(r"""(['"]?\btoken['"]?\s*[:=]\s*['"]?)([A-Za-z0-9_\-]{6,})""")
_HOOK_URL = re.compile(r"(https://hooks\.slack\.com/)[^\s'\"&,}]+")
LIBRARY_LOGGERS = ("slack_bolt", "slack_sdk", "uvicorn", "uvicorn.error", "uvicorn.access")


class SecretRedactor(logging.Filter):
    """Replaces configured secrets, and anything shaped like a Slack token, in every log record.
    `redact()` is also what start-up errors quoting Slack's replies go through."""

    def __init__(self, secrets: list[str]) -> None:
        super().__init__()
        self.secrets = [s for s in secrets if len(s) >= 6]

    def redact(self, text: str) -> str:
        for secret in self.secrets:
            text = text.replace(secret, "[redacted]")
        text = _TOKEN_LIKE.sub("[redacted]", text)
        text = _TOKEN_FIELD.sub(r"\1[redacted]", text)
        return _HOOK_URL.sub(r"\1[redacted]", text)

    def filter(self, record: logging.LogRecord) -> bool:
        try:
            message = record.getMessage()
        except Exception:
            message = str(record.msg)
        redacted = self.redact(message)
        if redacted != message or record.args:
            record.msg, record.args = redacted, None
        if record.exc_info and record.exc_info[1] is not None:
            record.exc_text = self.redact(logging.Formatter().formatException(record.exc_info))
            record.exc_info = None
        return True


def install_redactor(secrets: list[str]) -> SecretRedactor:
    """Attach the redactor to every handler of the root logger (and to future records of
    libraries that log through it)."""
    redactor = SecretRedactor(secrets)
    root = logging.getLogger()
    for handler in root.handlers:
        handler.addFilter(redactor)
    root.addFilter(redactor)
    for name in LIBRARY_LOGGERS:
        logging.getLogger(name).addFilter(redactor)
    return redactor


def configure_logging(level: str, secrets: list[str]) -> SecretRedactor:
    name = (level or "INFO").upper()
    logging.basicConfig(
        level=getattr(logging, name, logging.INFO),
        format="%(asctime)s %(levelname)s %(name)s: %(message)s",
        stream=sys.stderr,
    )
    logging.getLogger().setLevel(getattr(logging, name, logging.INFO))
    logging.getLogger("faiss.loader").setLevel(logging.WARNING)
    return install_redactor(secrets)
