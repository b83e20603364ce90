"""What every Slack request passes before a listener acts on it: exactly-once delivery (Slack
retries what it thinks failed, over HTTP and Socket Mode alike) and the per-user rate limit.
Both are thread-safe and bounded; the deliveries taken are kept on disk (bot/runtime/dedupe.py)
so that a retry after a restart is not answered twice. (Log redaction guards the process, not a
request: bot/runtime/logs.py.)"""

from __future__ import annotations

import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass

from slack_bolt import BoltResponse

from bot.runtime.dedupe import DeliveryLog

log = logging.getLogger("vendorcheck.bot")

RATE_TEXT = (
    "You've asked {limit} questions in the last {window:g} seconds. "
    "Please wait {wait:.0f} s before asking again."
)


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


@dataclass(frozen=True)
class Delivery:
    """The delivery a listener is handling: work it queues marks it pending, and done once
    the reply went out (`VendorcheckBot.run`), so a crash in between does not lose it."""

    log: DeliveryLog
    key: str

    def pending(self) -> None:
        self.log.pending(self.key)

    def done(self) -> None:
        self.log.done(self.key)


_handling = threading.local()


def current_delivery() -> Delivery | None:
    """The delivery whose listener runs on this thread (Bolt runs the listener on the thread
    that ran the middleware: process_before_response), or None."""
    return getattr(_handling, "delivery", None)


def exactly_once(deliveries: DeliveryLog) -> Callable[..., BoltResponse | None]:
    """Bolt middleware: the same event / trigger is answered once however often it arrives,
    across restarts too (bot/runtime/dedupe.py)."""

    def middleware(body: dict, next: Callable[[], None]) -> BoltResponse | None:
        key = dedupe_key(body)
        if key and not deliveries.claim(key):
            log.info("duplicate delivery of %s ignored", key.split(":", 1)[0])
            return BoltResponse(status=200, body="")
        _handling.delivery = Delivery(deliveries, key) if key else None
        next()
        return None

    return middleware
