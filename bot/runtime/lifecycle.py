"""A serving process's life: what the servers need of the bot, SIGTERM / SIGINT, and the
graceful stop (stop taking requests, let answers in flight finish for up to
VENDORCHECK_SHUTDOWN_GRACE seconds, tell the users of the rest, exit 0)."""

from __future__ import annotations

import signal
import sys
import threading
from collections.abc import Callable
from typing import Any, Protocol


class ServedBot(Protocol):
    """What HTTP and Socket Mode serve (bot.slack.app.BotRuntime is one)."""

    app: Any  # the slack_bolt.App
    settings: Any  # .shutdown_grace, .app_token

    def status(self) -> dict[str, Any]: ...

    def close(self) -> bool: ...


STOP_SIGNALS = (signal.SIGTERM, signal.SIGINT)


def on_stop_signal(handler: Callable[[], None]) -> bool:
    """Call `handler` on SIGTERM / SIGINT. False (nothing installed) off the main thread,
    where Python allows no signal handlers."""
    if threading.current_thread() is not threading.main_thread():
        return False
    for sig in STOP_SIGNALS:
        signal.signal(sig, lambda *_: handler())
    return True


def say(text: str) -> None:
    """A line for the operator on stderr (start-up and shutdown; logs go through logging)."""
    print(f"vendorcheck: {text}", file=sys.stderr, flush=True)


def drain(bot: ServedBot, cut_note: str) -> int:
    """After the server stopped: finish or cut the answers in flight, say so, exit status 0."""
    drained = bot.close()
    say("stopped" + ("" if drained else f" ({cut_note})"))
    return 0
