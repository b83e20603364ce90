"""Socket Mode: the bot dials out to Slack (no public URL), with Bolt's built-in handler.

Connected means Slack's `hello` arrived on the websocket. slack_sdk's built-in client swallows
a failed connection (it logs it, and its monitor retries every ping interval), so `connect()`
returning says nothing about being connected. `SocketLink` listens to the client (hello,
disconnect, connection errors) and tells the operator one line per change: connected (only
after a hello), NOT connected (with the reason, once per outage; the client keeps retrying),
asked to reconnect, reconnected.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import Any

from bot.runtime.lifecycle import ServedBot, drain, on_stop_signal, say
from index.errors import VendorcheckError

# No hello this long after dialling (and no error saying why): tell the operator.
HELLO_TIMEOUT = 10.0
# slack_sdk pings, checks the connection and, when it is down, reconnects this often (Bolt's
# default for its built-in handler).
PING_INTERVAL = 10.0
_POLL = 0.5


class SocketModeError(VendorcheckError):
    """Slack refused to open a Socket Mode connection (one line: why, and what to check)."""


def build_socket_handler(bot: ServedBot, ping_interval: float = PING_INTERVAL):  # type: ignore[no-untyped-def]
    """Bolt's built-in Socket Mode handler (no extra dependency); its Web API calls, including
    apps.connections.open, go to SLACK_API_URL through the app's client."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    return SocketModeHandler(bot.app, bot.settings.app_token, ping_interval=ping_interval)


class SocketLink:
    """Whether a Socket Mode client is really connected, and the operator's lines about it."""

    def __init__(self, client: Any, tell: Callable[[str], None] = say) -> None:
        self.client = client
        self.tell = tell
        self.connected = threading.Event()  # set by a hello, cleared by a disconnect or loss
        self.hellos = 0
        self.error = ""  # the last connection error, one line
        self._lock = threading.Lock()
        self._down_since: float | None = time.monotonic()
        self._reported = False  # the current outage has been told
        client.on_message_listeners.append(self._on_message)
        client.on_error_listeners.append(self._on_error)
        client.on_close_listeners.append(self._on_close)

    # --------------------------------------------------------------- the client's events

    def _on_message(self, raw: str) -> None:
        if '"hello"' not in raw and '"disconnect"' not in raw:
            return  # an envelope: Bolt's business
        try:
            kind = json.loads(raw).get("type")
        except (ValueError, AttributeError):
            return
        if kind == "hello":
            with self._lock:
                self.hellos += 1
                again = self.hellos > 1
                self.connected.set()
                self._down_since, self._reported, self.error = None, False, ""
            self.tell(
                "Socket Mode reconnected to Slack"
                if again
                else "Socket Mode connected to Slack (the bot dials out; no public URL needed)"
            )
        elif kind == "disconnect":
            self._went_down()
            self.tell("Slack asked for a new Socket Mode connection; reconnecting")

    def _on_error(self, error: Exception) -> None:
        text = " ".join(f"{type(error).__name__}: {error}".split())[:200]
        with self._lock:
            self.error = text
        if not self.connected.is_set():
            self._report()

    def _on_close(self, code: int, reason: str | None = None) -> None:
        self._went_down()

    # ------------------------------------------------------------------------ the state

    def _went_down(self) -> None:
        with self._lock:
            if self.connected.is_set() or self._down_since is None:
                self._down_since, self._reported = time.monotonic(), False
            self.connected.clear()

    def _report(self) -> None:
        with self._lock:
            if self._reported or self.connected.is_set():
                return
            self._reported = True
            why = self.error or "no hello from Slack yet"
        interval = getattr(self.client, "ping_interval", PING_INTERVAL)
        self.tell(f"Socket Mode is NOT connected to Slack ({why}); retrying every {interval:g} s")

    def check(self, hello_timeout: float = HELLO_TIMEOUT) -> None:
        """One look at the connection (`watch` calls it): a socket that died without a word,
        or no hello for `hello_timeout` seconds, is told."""
        if self.connected.is_set() and not self.client.is_connected():
            self._went_down()
            self.tell("lost the Socket Mode connection to Slack; reconnecting")
        since = self._down_since
        if since is not None and time.monotonic() - since >= hello_timeout:
            self._report()

    def open(self) -> None:
        """Dial out (apps.connections.open, then the websocket). A refused app token or an
        unreachable Web API is a SocketModeError; a websocket that fails is retried."""
        from slack_sdk.errors import SlackApiError

        try:
            self.client.connect()
        except SlackApiError as exc:
            error = exc.response.get("error") if exc.response is not None else str(exc)
            raise SocketModeError(
                f"Slack refused apps.connections.open ({error}); check SLACK_APP_TOKEN "
                "(an app-level xapp- token with connections:write)"
            ) from None
        except OSError as exc:
            reason = " ".join(str(getattr(exc, "reason", exc)).split())
            raise SocketModeError(
                f"cannot reach the Slack Web API for apps.connections.open ({reason})"
            ) from None

    def watch(self, stop: threading.Event, hello_timeout: float = HELLO_TIMEOUT) -> None:
        while not stop.wait(_POLL):
            self.check(hello_timeout)


def run_socket(bot: ServedBot) -> int:
    handler = build_socket_handler(bot)
    stop = threading.Event()
    if not on_stop_signal(stop.set):
        raise RuntimeError("Socket Mode serving stops on SIGTERM: run it in the main thread")
    link = SocketLink(handler.client)
    try:
        link.open()
    except SocketModeError:
        handler.close()
        bot.close()
        raise
    link.watch(stop)
    say("stopping (finishing answers in flight)")
    handler.close()
    return drain(bot, "some answers were cut")
