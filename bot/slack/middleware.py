"""What every Slack request passes before a listener acts on it: exactly-once delivery (Slack
retries what it thinks failed, over HTTP and Socket Mode alike) and the per-user rate limit.
Both are small, thread-safe and bounded in memory. (Log redaction guards the process, not a
request: bot/runtime/logs.py.)"""

from __future__ import annotations

import logging
import threading
import time
from collections import OrderedDict, deque
from collections.abc import Callable

from slack_bolt import BoltResponse

log = logging.getLogger("vendorcheck.bot")

RATE_TEXT = (
    "You've asked {limit} questions in the last {window:g} seconds. "
    "Please wait {wait:.0f} s before asking again."
)


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

    def refusal(self, user: str) -> str | None:
        """None if `user` may ask now (and counts the question); else the text telling them."""
        wait = self.check(user or "?")
        if not wait:
            return None
        return RATE_TEXT.format(limit=self.limit, window=self.window, wait=wait)


def dedupe_key(body: dict) -> str | None:
    """What identifies one user action across Slack's retries (HTTP and Socket Mode alike)."""
    if body.get("event_id"):
        return f"event:{body['event_id']}"
    if body.get("trigger_id"):
        return f"trigger:{body['trigger_id']}"
    return None


def exactly_once(seen: TTLSet) -> Callable[..., BoltResponse | None]:
    """Bolt middleware: the same event / trigger is answered once however often it arrives."""

    def middleware(body: dict, next: Callable[[], None]) -> BoltResponse | None:
        key = dedupe_key(body)
        if key and not seen.add(key):
            log.info("duplicate delivery of %s ignored", key.split(":", 1)[0])
            return BoltResponse(status=200, body="")
        next()
        return None

    return middleware
