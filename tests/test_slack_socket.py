"""Socket Mode over a real websocket: the app driven through Bolt's SocketModeHandler, connected
to a loopback server that speaks Slack's protocol (tests/slack_socket_server.py): hello,
envelopes and their acks, disconnect / refresh, and a URL nothing listens on."""

from __future__ import annotations

import json
import time
import urllib.parse

import pytest
from slack_fakes import (
    APP_TOKEN,
    BOT_USER_ID,
    action_payload,
    all_text,
    button,
    event_body,
    free_port,
    slash_body,
)
from slack_harness import CORVANE_QUERY, build_test_corpus, make_settings
from slack_socket_server import FakeSocketMode, envelope

from bot.runtime.socket_mode import SocketLink, SocketModeError, build_socket_handler
from bot.slack.app import create_app
from bot.slack.feedback import FeedbackStore
from index.engine import open_retriever


@pytest.fixture(scope="module")
def slack_socket():
    server = FakeSocketMode().start()
    yield server
    server.stop()


@pytest.fixture(scope="module")
def runtime(fake, tmp_path_factory, model_cache, embedder):
    config = build_test_corpus(tmp_path_factory.mktemp("socket"), model_cache)
    store = FeedbackStore(tmp_path_factory.mktemp("socket-data"))
    settings = make_settings(fake, app_token=APP_TOKEN, signing_secret="")
    runtime = create_app(settings, open_retriever(config, embedder), store)
    yield runtime
    runtime.close()


class Linked:
    """A Socket Mode handler for `runtime`, its SocketLink and the lines it told."""

    def __init__(self, runtime, ping_interval: float = 10.0) -> None:
        self.lines: list[str] = []
        self.handler = build_socket_handler(runtime, ping_interval=ping_interval)
        self.link = SocketLink(self.handler.client, tell=self.lines.append)

    def close(self) -> None:
        self.handler.close()


@pytest.fixture(scope="module")
def socket_bot(runtime, fake, slack_socket):
    fake.socket_url = lambda: slack_socket.url
    linked = Linked(runtime)
    linked.link.open()
    assert linked.link.connected.wait(20), linked.lines

    def deliver(message: dict) -> dict:
        slack_socket.send(message)
        return slack_socket.wait_ack(message["envelope_id"])[1]

    yield deliver
    linked.close()


def test_slash_command_over_socket_mode(socket_bot, fake):
    form = slash_body("is Kaspersky allowed on GSA?", fake.response_url("sock1"))
    payload = {k: v[0] for k, v in urllib.parse.parse_qs(form).items()}
    ack = socket_bot(envelope("slash_commands", payload))
    assert "payload" not in ack or not ack["payload"]  # empty ack, answer follows
    message = fake.wait_for(fake.to_response("sock1"))[0].body
    assert "CRN · 2017-07-11" in all_text(message)
    assert button(message, "vc_share") is not None

    help_payload = {**payload, "text": "help", "trigger_id": "t-help"}
    ack = socket_bot(envelope("slash_commands", help_payload))
    assert "/vendorcheck kaspersky" in all_text(ack["payload"])


def test_mention_over_socket_mode_with_retry_answered_once(socket_bot, fake):
    event = {
        "type": "app_mention",
        "user": "U0SOCK",
        "text": f"<@{BOT_USER_ID}> kaspersky",
        "ts": "1700000900.000100",
        "channel": "CSOCKET1",
    }
    body = json.loads(event_body(event, event_id="EvSOCK1"))
    socket_bot(envelope("events_api", body))
    socket_bot(envelope("events_api", body, retry=1))
    posted = fake.wait_for(lambda c: c.body.get("channel") == "CSOCKET1")
    assert posted[0].body["thread_ts"] == "1700000900.000100"
    time.sleep(1.0)
    assert len([c for c in fake.calls if c.body.get("channel") == "CSOCKET1"]) == 1


def test_button_over_socket_mode(socket_bot, fake):
    form = slash_body(CORVANE_QUERY, fake.response_url("sock2"))
    payload = {k: v[0] for k, v in urllib.parse.parse_qs(form).items()}
    socket_bot(envelope("slash_commands", payload))
    message = fake.wait_for(fake.to_response("sock2"))[0].body
    click = action_payload(
        "vc_more", button(message, "vc_more")["value"], fake.response_url("sock3")
    )
    socket_bot(envelope("interactive", click))
    page = fake.wait_for(fake.to_response("sock3"))[0].body
    assert "Results 4-6 of" in all_text(page)


def opens(fake) -> int:
    return len([c for c in fake.calls if c.method == "apps.connections.open"])


def slash_envelope(fake, text: str, name: str) -> dict:
    form = slash_body(text, fake.response_url(name))
    return envelope("slash_commands", {k: v[0] for k, v in urllib.parse.parse_qs(form).items()})


def test_connected_only_after_hello(runtime, fake):
    """The websocket is open, but until Slack's hello the product says nothing of being
    connected; the hello is what makes it so."""
    server = FakeSocketMode()
    server.hold_hello.set()
    server.start()
    fake.socket_url = lambda: server.url
    linked = Linked(runtime)
    try:
        linked.link.open()
        server.wait_connections(1)
        time.sleep(0.5)  # time for a wrong "connected" to show
        assert linked.handler.client.is_connected()  # the socket is up...
        assert not linked.link.connected.is_set()  # ...but no hello yet
        assert not any("connected to Slack" in line for line in linked.lines if "NOT" not in line)
        server.release_hello()
        assert linked.link.connected.wait(20), linked.lines
        assert linked.lines[-1].startswith("Socket Mode connected to Slack")
    finally:
        linked.close()
        server.stop()


def test_refresh_requested_reconnects_and_answers_on_the_new_connection(runtime, fake):
    server = FakeSocketMode().start()
    fake.socket_url = lambda: server.url
    linked = Linked(runtime)
    try:
        linked.link.open()
        assert linked.link.connected.wait(20), linked.lines
        opened = opens(fake)
        server.refresh()
        server.wait_connections(2)
        server.wait(lambda: server.connections[0] in server.closed, what="the old one closed")
        assert opens(fake) == opened + 1  # a fresh URL
        deadline = time.monotonic() + 20
        while linked.link.hellos < 2 and time.monotonic() < deadline:
            time.sleep(0.05)
        assert linked.link.hellos == 2 and linked.link.connected.is_set()
        assert "Slack asked for a new Socket Mode connection; reconnecting" in linked.lines
        assert linked.lines[-1] == "Socket Mode reconnected to Slack"
        message = slash_envelope(fake, "help", "refresh")
        server.send(message)
        number, ack = server.wait_ack(message["envelope_id"])
        assert number == 2  # acked over the new connection
        assert "/vendorcheck kaspersky" in all_text(ack["payload"])
    finally:
        linked.close()
        server.stop()


def test_unreachable_websocket_is_not_connected_and_retried(runtime, fake):
    """apps.connections.open hands out a URL nothing listens on: one line says NOT connected
    (with why), never "connected"; the client keeps retrying, and connects once it can."""
    dead = f"ws://127.0.0.1:{free_port()}/link/?ticket=dead"
    fake.socket_url = lambda: dead
    linked = Linked(runtime, ping_interval=1.0)
    server = FakeSocketMode().start()
    try:
        opened = opens(fake)
        linked.link.open()
        linked.link.check(hello_timeout=0)
        assert not linked.link.connected.is_set()
        assert len(linked.lines) == 1, linked.lines
        line = linked.lines[0]
        assert line.startswith("Socket Mode is NOT connected to Slack (")
        assert "Connection refused" in line and "retrying every 1 s" in line
        fake.wait_for(fake.api("apps.connections.open"), count=opened + 2, timeout=20)
        assert linked.lines == [line]  # one line per outage, not one per retry
        fake.socket_url = lambda: server.url  # Slack is back
        assert linked.link.connected.wait(20), linked.lines
        assert linked.lines[-1].startswith("Socket Mode connected to Slack")
    finally:
        linked.close()
        server.stop()


def test_refused_app_token_is_one_line(runtime, fake):
    fake.fail_methods["apps.connections.open"] = "invalid_auth"
    linked = Linked(runtime)
    try:
        with pytest.raises(SocketModeError) as caught:
            linked.link.open()
    finally:
        fake.fail_methods.clear()
        linked.close()
    message = str(caught.value)
    assert "\n" not in message and "invalid_auth" in message and "SLACK_APP_TOKEN" in message
    assert APP_TOKEN not in message
