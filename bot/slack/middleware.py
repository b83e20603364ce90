"""Small thread-safe guards the bot relies on: a TTL set for exactly-once delivery, a per-user
rate limiter, a log filter that redacts secrets, and Slack-text-to-query normalisation."""

from __future__ import annotations

import logging
import re
import threading
import time
from collections import OrderedDict, deque


class TTLSet:
    """Remembers keys for `ttl` seconds. `add()` is True the first time a key is seen.

    Bounded: at most `max_size` keys (oldest dropped first), so a flood cannot exhaust memory.
    """

    def __init__(self, ttl: float, max_size: int = 100_000, clock=time.monotonic) -> None:
        self.ttl = ttl
        self.max_size = max_size
        self._clock = clock
        self._seen: OrderedDict[str, float] = OrderedDict()
        self._lock = threading.Lock()

    def add(self, key: str) -> bool:
        now = self._clock()
        with self._lock:
            while self._seen:
                _oldest, stamp = next(iter(self._seen.items()))
                if now - stamp < self.ttl and len(self._seen) < self.max_size:
                    break
                self._seen.popitem(last=False)
            if key in self._seen:
                return False
            self._seen[key] = now
            return True

    def __len__(self) -> int:
        return len(self._seen)


class RateLimiter:
    """At most `limit` events per `window` seconds per key (sliding window). limit 0 = off."""

    def __init__(self, limit: int, window: float, clock=time.monotonic) -> None:
        self.limit = limit
        self.window = window
        self._clock = clock
        self._events: dict[str, deque[float]] = {}
        self._lock = threading.Lock()

    def check(self, key: str) -> float:
        """0.0 if allowed (and counted); otherwise seconds until the next one is allowed."""
        if self.limit <= 0:
            return 0.0
        now = self._clock()
        with self._lock:
            events = self._events.setdefault(key, deque())
            while events and now - events[0] >= self.window:
                events.popleft()
            if len(events) >= self.limit:
                return max(0.1, self.window - (now - events[0]))
            events.append(now)
            if len(self._events) > 50_000:  # forget idle users
                for idle in [k for k, v in self._events.items() if not v]:
                    del self._events[idle]
            return 0.0


_TOKEN_LIKE = re.compile(r"\b(xox[a-z]-[A-Za-z0-9-]+|xapp-[A-Za-z0-9-]+)")
# Slack's legacy verification token travels in every payload ("token": ...), and a
# response_url lets anyone post to the channel for 30 minutes: neither belongs in a log.
_TOKEN_FIELD = re.compile(r"""(['"]?\btoken['"]?\s*[:=]\s*['"]?)([A-Za-z0-9_\-]{6,})""")
_HOOK_URL = re.compile(r"(https://hooks\.slack\.com/)[^\s'\"&,}]+")


class SecretRedactor(logging.Filter):
    """Replaces configured secrets, and anything shaped like a Slack token, in every log record."""

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
    for name in ("slack_bolt", "slack_sdk", "uvicorn", "uvicorn.error", "uvicorn.access"):
        logging.getLogger(name).addFilter(redactor)
    return redactor


_USER_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>")
_SPECIAL = re.compile(r"<!([^<>|]*)(?:\|([^<>]*))?>")
_CHANNEL = re.compile(r"<#[CG][A-Z0-9]+(?:\|([^<>]*))?>")
_LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")


def query_from_slack(text: str, bot_user_id: str | None = None) -> str:
    """Plain question text from Slack's message format: user mentions removed, channels and
    links reduced to their labels, `&amp;`/`&lt;`/`&gt;` unescaped."""
    text = text or ""
    text = _USER_MENTION.sub("", text)  # the bot's own mention, and people: not search terms
    text = _SPECIAL.sub(lambda m: m.group(2) or "", text)
    text = _CHANNEL.sub(lambda m: f"#{m.group(1)}" if m.group(1) else "", text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    return " ".join(text.split())
