"""Stand-ins for Slack in tests: a loopback HTTP server playing the Web API and response_url
(recording everything it receives), helpers that sign requests like Slack does, and
`start_http_serve`, which runs `vendorcheck serve --http` as a subprocess pointed at the fake.

Nothing here imports vendorcheck code: the app under test talks to this over real HTTP. The
benchmarks import it too.
"""

from __future__ import annotations

import json
import socket
import subprocess
import sys
import threading
import time
import urllib.parse
import urllib.request
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any

from slack_sdk.signature import SignatureVerifier

BOT_TOKEN = "xoxb-test-1111-2222-abcdefghijklmnop"
APP_TOKEN = "xapp-1-A111-2222-abcdefghijklmnopqrstuvwxyz"
SIGNING_SECRET = "8f742231b10e8888abcd99yyyzzz85a5"
BOT_USER_ID = "UBOT0001"
TEAM_ID = "T0001"


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


def slack_env(fake: FakeSlack, **extra: str) -> dict[str, str]:
    """Environment for `vendorcheck serve` talking to `fake` (HTTP mode: no app token)."""
    return {
        "SLACK_BOT_TOKEN": BOT_TOKEN,
        "SLACK_SIGNING_SECRET": SIGNING_SECRET,
        "SLACK_APP_TOKEN": "",
        "SLACK_API_URL": fake.url,
        **extra,
    }


def start_http_serve(
    env: dict[str, str], cwd: Path, *, timeout: float = 120.0, poll: float = 0.2, **popen: Any
) -> tuple[subprocess.Popen, str]:
    """Start `python -m bot serve --http` on a free loopback port and wait for /healthz.

    Returns (process, the /slack/events URL). `popen` goes to `subprocess.Popen` (stdout,
    stderr, text). If the server exits first, or is not up within `timeout` seconds (it is
    killed then), raises AssertionError with its stderr when that was piped.
    """
    port = free_port()
    command = ["serve", "--http", "--host", "127.0.0.1", "--port", str(port)]
    process = subprocess.Popen([sys.executable, "-m", "bot", *command], env=env, cwd=cwd, **popen)
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if process.poll() is not None:
            err = process.communicate()[1] if popen.get("stderr") == subprocess.PIPE else ""
            raise AssertionError(f"serve exited: {err}")
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return process, f"http://127.0.0.1:{port}/slack/events"
        except OSError:
            time.sleep(poll)
    process.kill()
    raise AssertionError("serve did not come up")


@dataclass
class Call:
    path: str
    headers: dict
    body: dict
    at: float = field(default_factory=time.monotonic)

    @property
    def method(self) -> str:
        """Web API method name for /api/<method> calls, else the path."""
        return self.path.rsplit("/", 1)[-1] if self.path.startswith("/api/") else self.path


class FakeSlack:
    """`url` is the Web API base (SLACK_API_URL); `response_url(name)` a response_url."""

    def __init__(self) -> None:
        self.calls: list[Call] = []
        self._cond = threading.Condition()
        self._ts = 1700000000
        self.fail_methods: dict[str, str] = {}  # method -> Slack error to return
        # What apps.connections.open hands out (a fresh URL per call, as Slack does); by
        # default one nothing listens on. tests/slack_socket_server.py serves a real one.
        self.socket_url: Callable[[], str] = lambda: "ws://127.0.0.1:9/never"
        self.uploads: dict[str, bytes] = {}  # file id -> bytes POSTed to its upload_url
        self._files = 0
        fake = self

        class Handler(BaseHTTPRequestHandler):
            def log_message(self, *args) -> None:  # quiet
                pass

            def do_POST(self) -> None:
                length = int(self.headers.get("Content-Length") or 0)
                data = self.rfile.read(length) if length else b""
                raw = data.decode("utf-8", errors="replace")
                ctype = self.headers.get("Content-Type", "")
                if self.path.startswith("/upload/"):  # files_upload_v2 step 2: raw bytes
                    fake.uploads[self.path.rsplit("/", 1)[-1]] = data
                    body = {"length": len(data)}
                elif "json" in ctype:
                    body = json.loads(raw or "{}")
                else:
                    body = {k: v[0] for k, v in urllib.parse.parse_qs(raw).items()}
                if isinstance(body.get("blocks"), str):
                    body["blocks"] = json.loads(body["blocks"])
                call = Call(self.path, dict(self.headers), body)
                payload = fake.reply(call)
                with fake._cond:
                    fake.calls.append(call)
                    fake._cond.notify_all()
                data = (
                    payload.encode() if isinstance(payload, str) else json.dumps(payload).encode()
                )
                self.send_response(200)
                self.send_header(
                    "Content-Type", "text/plain" if isinstance(payload, str) else "application/json"
                )
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.server.daemon_threads = True
        self.port = self.server.server_address[1]
        self.url = f"http://127.0.0.1:{self.port}/api/"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def reply(self, call: Call) -> dict | str:
        if call.path.startswith("/response/"):
            return "ok"
        method = call.method
        if method in self.fail_methods:
            return {"ok": False, "error": self.fail_methods[method]}
        if method == "auth.test":
            return {
                "ok": True,
                "url": "https://test.slack.com/",
                "team": "Test",
                "user": "vendorcheck",
                "team_id": TEAM_ID,
                "user_id": BOT_USER_ID,
                "bot_id": "BBOT0001",
            }
        if method == "chat.postMessage":
            self._ts += 1
            return {"ok": True, "channel": call.body.get("channel"), "ts": f"{self._ts}.000100"}
        if method == "files.getUploadURLExternal":  # files_upload_v2 step 1
            self._files += 1
            file_id = f"F{self._files:06d}"
            url = f"http://127.0.0.1:{self.port}/upload/{file_id}"
            return {"ok": True, "upload_url": url, "file_id": file_id}
        if method == "files.completeUploadExternal":  # step 3
            files = call.body.get("files")
            files = json.loads(files) if isinstance(files, str) else files or []
            return {"ok": True, "files": [{"id": f["id"], "title": f.get("title")} for f in files]}
        if method == "conversations.open":
            return {"ok": True, "channel": {"id": "D" + str(call.body.get("users", "X"))[1:]}}
        if method == "views.publish":
            return {"ok": True, "view": {"id": "V0001", **self._view(call.body.get("view"))}}
        if method == "apps.connections.open":
            return {"ok": True, "url": self.socket_url()}
        return {"ok": True}

    @staticmethod
    def _view(view: Any) -> dict:
        return json.loads(view) if isinstance(view, str) else dict(view or {})

    def response_url(self, name: str = "r1") -> str:
        return f"http://127.0.0.1:{self.port}/response/{name}"

    def start(self) -> FakeSlack:
        self.thread.start()
        return self

    def stop(self) -> None:
        self.server.shutdown()
        self.server.server_close()

    def wait_for(self, predicate, count: int = 1, timeout: float = 30.0) -> list[Call]:
        """Block until `count` recorded calls satisfy `predicate`; return them."""
        end = time.monotonic() + timeout
        with self._cond:
            while True:
                found = [c for c in self.calls if predicate(c)]
                if len(found) >= count:
                    return found
                left = end - time.monotonic()
                if left <= 0:
                    raise AssertionError(
                        f"timed out waiting for {count} call(s); got {[c.path for c in self.calls]}"
                    )
                self._cond.wait(left)

    def to_response(self, name: str):
        return lambda c: c.path == f"/response/{name}"

    def api(self, method: str):
        return lambda c: c.method == method


def sign(body: str, secret: str = SIGNING_SECRET, timestamp: int | None = None) -> dict:
    """Headers Slack would send with `body`."""
    ts = str(int(time.time()) if timestamp is None else timestamp)
    signature = SignatureVerifier(secret).generate_signature(timestamp=ts, body=body)
    return {"X-Slack-Request-Timestamp": ts, "X-Slack-Signature": signature}


def slash_body(text: str, response_url: str, user: str = "U0USER1", trigger: str | None = None):
    return urllib.parse.urlencode(
        {
            "token": "unused-legacy",
            "team_id": TEAM_ID,
            "team_domain": "test",
            "channel_id": "C0CHAN1",
            "channel_name": "security",
            "user_id": user,
            "user_name": "alice",
            "command": "/vendorcheck",
            "text": text,
            "api_app_id": "A0APP1",
            "is_enterprise_install": "false",
            "response_url": response_url,
            "trigger_id": trigger or f"{time.time_ns()}.1.abc",
        }
    )


def event_body(event: dict, event_id: str | None = None) -> str:
    return json.dumps(
        {
            "token": "unused-legacy",
            "team_id": TEAM_ID,
            "api_app_id": "A0APP1",
            "type": "event_callback",
            "event_id": event_id or f"Ev{time.time_ns()}",
            "event_time": int(time.time()),
            "authorizations": [{"team_id": TEAM_ID, "user_id": BOT_USER_ID, "is_bot": True}],
            "event": event,
        }
    )


def action_payload(
    action_id: str,
    value: str,
    response_url: str,
    *,
    ephemeral: bool = True,
    user: str = "U0USER1",
    channel: str = "C0CHAN1",
    message_ts: str = "1700000000.000100",
    thread_ts: str | None = None,
) -> dict:
    payload = {
        "type": "block_actions",
        "team": {"id": TEAM_ID, "domain": "test"},
        "user": {"id": user, "username": "alice", "team_id": TEAM_ID},
        "api_app_id": "A0APP1",
        "token": "unused-legacy",
        "container": {
            "type": "message",
            "message_ts": message_ts,
            "channel_id": channel,
            "is_ephemeral": ephemeral,
        },
        "trigger_id": f"{time.time_ns()}.1.xyz",
        "channel": {"id": channel, "name": "security"},
        "response_url": response_url,
        "actions": [
            {
                "action_id": action_id,
                "block_id": "b1",
                "text": {"type": "plain_text", "text": "x"},
                "value": value,
                "type": "button",
                "action_ts": str(time.time()),
            }
        ],
    }
    if not ephemeral:
        payload["message"] = {"type": "message", "ts": message_ts, "user": BOT_USER_ID}
        if thread_ts:
            payload["message"]["thread_ts"] = thread_ts
    return payload


def action_body(payload: dict) -> str:
    return urllib.parse.urlencode({"payload": json.dumps(payload)})


def post(url: str, body: str, headers: dict, content_type: str, timeout: float = 10.0):
    """POST over real HTTP; returns (status, text, seconds)."""
    request = urllib.request.Request(
        url, data=body.encode(), headers={**headers, "Content-Type": content_type}, method="POST"
    )
    start = time.monotonic()
    try:
        with urllib.request.urlopen(request, timeout=timeout) as response:
            return response.status, response.read().decode(), time.monotonic() - start
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode(), time.monotonic() - start


def send_signed(url: str, body: str, *, form: bool = True, **extra_headers: str):
    content_type = "application/x-www-form-urlencoded" if form else "application/json"
    return post(url, body, {**sign(body), **extra_headers}, content_type)


def all_text(message: dict) -> str:
    """Every mrkdwn/plain text string in a message (fallback text, blocks, elements)."""
    out = [message.get("text") or ""]

    def walk(node) -> None:  # type: ignore[no-untyped-def]
        if isinstance(node, dict):
            if node.get("type") in ("mrkdwn", "plain_text") and isinstance(node.get("text"), str):
                out.append(node["text"])
            for value in node.values():
                walk(value)
        elif isinstance(node, list):
            for item in node:
                walk(item)

    walk(message.get("blocks") or [])
    return "\n".join(out)


def button(message: dict, action_id: str) -> dict | None:
    for block in message.get("blocks") or []:
        for element in block.get("elements") or []:
            if element.get("action_id") == action_id:
                return element
    return None
