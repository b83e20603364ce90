"""Socket Mode: the same app driven through Bolt's SocketModeHandler, envelopes injected where a
websocket frame would arrive (`_on_message`), acks captured where they would be sent."""

from __future__ import annotations

import json
import threading
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
    slash_body,
)
from slack_harness import CORVANE_QUERY, build_test_corpus, make_settings

from bot.runtime.socket_mode import build_socket_handler
from bot.slack.app import create_app
from bot.slack.feedback import FeedbackStore
from index.engine import open_retriever


@pytest.fixture(scope="module")
def socket_bot(fake, tmp_path_factory, model_cache, embedder):
    config = build_test_corpus(tmp_path_factory.mktemp("socket"), model_cache)
    store = FeedbackStore(tmp_path_factory.mktemp("socket-data"))
    settings = make_settings(fake, app_token=APP_TOKEN, signing_secret="")
    runtime = create_app(settings, open_retriever(config, embedder), store)
    handler = build_socket_handler(runtime)
    sent: list[dict] = []
    cond = threading.Condition()

    def capture(message: str) -> None:  # where the websocket would send the ack
        with cond:
            sent.append(json.loads(message))
            cond.notify_all()

    handler.client.send_message = capture  # type: ignore[method-assign]

    def deliver(envelope: dict) -> dict:
        handler.client._on_message(json.dumps(envelope))
        with cond:
            assert cond.wait_for(
                lambda: any(s.get("envelope_id") == envelope["envelope_id"] for s in sent), 10
            ), "no ack"
            return next(s for s in sent if s["envelope_id"] == envelope["envelope_id"])

    yield deliver
    handler.client.close()
    runtime.close()


def envelope(kind: str, payload: dict, retry: int = 0) -> dict:
    return {
        "envelope_id": f"env-{time.time_ns()}",
        "type": kind,
        "accepts_response_payload": kind != "events_api",
        "retry_attempt": retry,
        "retry_reason": "timeout" if retry else "",
        "payload": payload,
    }


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
