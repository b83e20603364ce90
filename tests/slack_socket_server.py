"""A loopback stand-in for Slack's Socket Mode websocket (the `websockets` package's server).

It speaks the protocol as Slack does (https://api.slack.com/apis/socket-mode): a client that
connects (to the URL apps.connections.open handed it, `FakeSlack.socket_url`) gets
``{"type": "hello", ...}``; the test sends envelopes (`send`) and reads the client's acks
(`wait_ack`: ``{"envelope_id": ...}``); `refresh()` sends ``{"type": "disconnect", "reason":
"refresh_requested"}``, after which a client is expected to open a new connection.
`hold_hello` keeps the hello back, so a test can see what the client does before it.

Also `StderrLines`: a subprocess's stderr read line by line while it runs.
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from typing import IO, Any

from websockets.exceptions import ConnectionClosed
from websockets.sync.server import ServerConnection, serve


class FakeSocketMode:
    def __init__(self) -> None:
        self.hold_hello = threading.Event()  # set: no hello until `release_hello()`
        self._hello_released = threading.Event()
        self._cond = threading.Condition()
        self._send_lock = threading.Lock()
        self.connections: list[ServerConnection] = []  # every one accepted, in order
        self.closed: list[ServerConnection] = []
        self.received: list[tuple[int, dict]] = []  # (connection number, message)
        self.server = serve(self._session, "127.0.0.1", 0)
        self.port = self.server.socket.getsockname()[1]
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    @property
    def url(self) -> str:
        return f"ws://127.0.0.1:{self.port}/link/?ticket=t-{time.time_ns()}&app_id=A0APP1"

    def start(self) -> FakeSocketMode:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()

    # ------------------------------------------------------------------------ the protocol

    def _session(self, websocket: ServerConnection) -> None:
        with self._cond:
            self.connections.append(websocket)
            number = len(self.connections)
            self._cond.notify_all()
        if self.hold_hello.is_set():
            self._hello_released.wait(30)
        hello = {
            "type": "hello",
            "num_connections": 1,
            "debug_info": {"host": "applink-fake", "approximate_connection_time": 18060},
            "connection_info": {"app_id": "A0APP1"},
        }
        try:
            self._send(websocket, hello)
            for raw in websocket:
                with self._cond:
                    self.received.append((number, json.loads(raw)))
                    self._cond.notify_all()
        except ConnectionClosed:
            pass
        finally:
            with self._cond:
                self.closed.append(websocket)
                self._cond.notify_all()

    def _send(self, websocket: ServerConnection, message: dict) -> None:
        with self._send_lock:
            websocket.send(json.dumps(message))

    def release_hello(self) -> None:
        self._hello_released.set()

    def current(self) -> ServerConnection:
        """The newest connection still open."""
        with self._cond:
            open_ones = [c for c in self.connections if c not in self.closed]
        assert open_ones, "no open Socket Mode connection"
        return open_ones[-1]

    def send(self, envelope: dict) -> int:
        """Send an envelope on the newest open connection; returns its number (1-based)."""
        websocket = self.current()
        self._send(websocket, envelope)
        return self.connections.index(websocket) + 1

    def refresh(self) -> None:
        """What Slack sends before it recycles a connection."""
        self._send(
            self.current(),
            {
                "type": "disconnect",
                "reason": "refresh_requested",
                "debug_info": {"host": "applink-fake"},
            },
        )

    # ------------------------------------------------------------------------ waiting

    def wait(self, predicate: Callable[[], bool], timeout: float = 30.0, what: str = "") -> None:
        with self._cond:
            assert self._cond.wait_for(predicate, timeout), f"timed out waiting for {what}"

    def wait_connections(self, count: int, timeout: float = 30.0) -> None:
        self.wait(lambda: len(self.connections) >= count, timeout, f"{count} connection(s)")

    def wait_ack(self, envelope_id: str, timeout: float = 30.0) -> tuple[int, dict]:
        """(connection number, message) of the client's ack of `envelope_id`."""

        def found() -> list[tuple[int, dict]]:
            return [r for r in self.received if r[1].get("envelope_id") == envelope_id]

        self.wait(lambda: bool(found()), timeout, f"the ack of {envelope_id}")
        return found()[0]


def envelope(kind: str, payload: dict, retry: int = 0) -> dict:
    """A Socket Mode envelope as Slack sends one (events_api, slash_commands, interactive)."""
    return {
        "envelope_id": f"env-{time.time_ns()}",
        "type": kind,
        "accepts_response_payload": kind != "events_api",
        "retry_attempt": retry,
        "retry_reason": "timeout" if retry else "",
        "payload": payload,
    }


class StderrLines:
    """Reads a running subprocess's stderr (text mode) on a thread; `wait_for` a line."""

    def __init__(self, stream: IO[str]) -> None:
        self.lines: list[str] = []
        self._cond = threading.Condition()
        self.thread = threading.Thread(target=self._read, args=(stream,), daemon=True)
        self.thread.start()

    def _read(self, stream: IO[str]) -> None:
        for line in stream:
            with self._cond:
                self.lines.append(line.rstrip("\n"))
                self._cond.notify_all()

    def wait_for(self, needle: str, timeout: float = 120.0) -> str:
        def hit() -> Any:
            return next((line for line in self.lines if needle in line), None)

        with self._cond:
            assert self._cond.wait_for(hit, timeout), f"no {needle!r} in: {self.lines[-15:]}"
            return hit()

    def text(self) -> str:
        self.thread.join(timeout=30)
        return "\n".join(self.lines)
