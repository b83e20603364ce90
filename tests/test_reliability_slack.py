"""Issue 5 against the real Bolt app over loopback HTTP: forged requests run nothing, every
subscribed event has a listener, bot/subtype messages are ignored, concurrent duplicate
deliveries answer once, hostile queries (hypothesis) come back inert and within Slack's limits,
and a per-answer timeout set through the environment replies "took too long" exactly once."""

from __future__ import annotations

import json
import re
import threading
import time
import unicodedata
import urllib.parse
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
import yaml
from hypothesis import HealthCheck, example, given, settings
from hypothesis import strategies as st
from slack_fakes import (
    BOT_TOKEN,
    BOT_USER_ID,
    SIGNING_SECRET,
    FakeSlack,
    action_body,
    action_payload,
    event_body,
    post,
    send_signed,
    sign,
    slash_body,
)
from slack_harness import REPO, BotServer, build_test_corpus, make_settings

from bot.slack.render import ACTION_HELPFUL, ButtonState
from bot.slack.settings import SlackSettings
from index.engine import build, open_retriever

FORM = "application/x-www-form-urlencoded"
JSON = "application/json"


class CountingAsker:
    """The real retriever, counting questions: proves whether a handler ran."""

    def __init__(self, retriever) -> None:
        self.retriever = retriever
        self.asked: list[str] = []
        self._lock = threading.Lock()

    def ask(self, query: str, k: int = 5):
        with self._lock:
            self.asked.append(query)
        return self.retriever.ask(query, k=k)


# Articles whose links must never become links: non-http(s) schemes and malformed URLs.
BAD_URLS = [
    "javascript:alert(document.cookie)",
    "data:text/html,<script>alert(1)</script>",
    "ftp://files.example.com/xantheon.txt",
    "slack://channel?team=T1&id=C1",
    "mailto:ceo@example.com",
    "http://",
    "https:/missing-slash.example.com",
    "//evil.example.com/no-scheme",
]


@pytest.fixture(scope="module")
def engine(tmp_path_factory, model_cache, embedder):
    config = build_test_corpus(tmp_path_factory.mktemp("rel-slack"), model_cache)
    for i, url in enumerate(BAD_URLS):
        (config.corpus_dir / f"xantheon-{i}.md").write_text(
            f"---\ntitle: Xantheon report {i}\nurl: {json.dumps(url)}\npublisher: Wire {i}\n"
            f"published: 2024-03-0{i + 1}\nvendors: [Xantheon]\n---\n\n"
            f"Xantheon sensors were banned by agency {i} after the audit of Xantheon firmware.\n"
        )
    build(config)
    return config, open_retriever(config, embedder)


@pytest.fixture(scope="module")
def bot(fake, engine, tmp_path_factory):
    asker = CountingAsker(engine[1])
    server = BotServer(make_settings(fake), asker, tmp_path_factory.mktemp("data")).start()
    server.asker = asker
    yield server
    server.stop()


def unique(prefix: str) -> str:
    return f"{prefix}{time.time_ns()}"


def calls_for(fake: FakeSlack, name: str = "", channel: str = "") -> list:
    return [
        c
        for c in fake.calls
        if (name and c.path == f"/response/{name}")
        or (channel and c.body.get("channel") == channel)
    ]


# --- request authenticity ------------------------------------------------------------------


def _forgeries(body: str) -> list[tuple[str, dict]]:
    now = int(time.time())
    good = sign(body)
    return [
        ("unsigned", {}),
        ("signature only", {"X-Slack-Signature": good["X-Slack-Signature"]}),
        ("timestamp only", {"X-Slack-Request-Timestamp": good["X-Slack-Request-Timestamp"]}),
        ("wrong secret", sign(body, secret="0" * 32)),
        ("stale 6 min", sign(body, timestamp=now - 360)),
        ("future 6 min", sign(body, timestamp=now + 360)),
        ("signed for another body", sign(body + "&x=1")),
        ("other timestamp", {**good, "X-Slack-Request-Timestamp": str(now - 1)}),
        ("v0 prefix missing", {**good, "X-Slack-Signature": good["X-Slack-Signature"][3:]}),
        ("timestamp not a number", {**good, "X-Slack-Request-Timestamp": "soon"}),
        ("empty signature", {**good, "X-Slack-Signature": ""}),
        ("upper-case signature", {**good, "X-Slack-Signature": good["X-Slack-Signature"].upper()}),
    ]


def test_forged_requests_get_401_and_run_no_handler(bot, fake):
    store = bot.runtime.store
    feedback_before = len(store.feedback())
    asked_before = len(bot.asker.asked)
    channel = unique("CFORGED")
    name = unique("forged")
    value = ButtonState("nonexistent", "kaspersky").encode()
    requests = [
        (slash_body("kaspersky", fake.response_url(name)), FORM),
        (
            event_body(
                {"type": "app_mention", "user": "U1", "text": "kaspersky", "ts": "1.2"}
                | {"channel": channel}
            ),
            JSON,
        ),
        (
            event_body(
                {"type": "message", "channel_type": "im", "user": "U1", "text": "kaspersky"}
                | {"ts": "1.3", "channel": channel}
            ),
            JSON,
        ),
        (action_body(action_payload(ACTION_HELPFUL, value, fake.response_url(name))), FORM),
    ]
    for body, content_type in requests:
        for what, headers in _forgeries(body):
            status, text, _ = post(bot.url, body, headers, content_type)
            assert status == 401, f"{what}: {status} {text[:100]}"
    # A correctly signed request 4 minutes old is still inside Slack's 5-minute window.
    body = slash_body("help", fake.response_url(unique("late-ok")))
    status, _, _ = post(bot.url, body, sign(body, timestamp=int(time.time()) - 240), FORM)
    assert status == 200
    time.sleep(0.5)
    assert len(bot.asker.asked) == asked_before, "a forged request reached the engine"
    assert len(store.feedback()) == feedback_before, "a forged click was recorded"
    assert not calls_for(fake, name=name, channel=channel)


def test_url_verification_and_ssl_check_per_spec(bot, fake):
    """url_verification: signed, echoes the challenge; unsigned gets 401. ssl_check: 200, empty,
    nothing runs. Verification is by signature only: the legacy `token` field is ignored."""
    challenge = unique("chal")
    body = json.dumps({"token": "whatever", "challenge": challenge, "type": "url_verification"})
    assert post(bot.url, body, {}, JSON)[0] == 401
    status, text, _ = send_signed(bot.url, body, form=False)
    assert status == 200 and json.loads(text) == {"challenge": challenge}
    asked = len(bot.asker.asked)
    status, text, _ = post(bot.url, "ssl_check=1&token=anything", {}, FORM)
    assert status == 200 and text == ""
    # a signed slash command whose legacy token is garbage is still answered
    name = unique("tok")
    body = slash_body("kaspersky", fake.response_url(name)).replace(
        "token=unused-legacy", "token=garbage"
    )
    assert send_signed(bot.url, body)[0] == 200
    fake.wait_for(fake.to_response(name))
    assert len(bot.asker.asked) == asked + 1
    assert bot.runtime.app._verification_token is None  # Bolt's deprecated check stays off


# --- exactly once ----------------------------------------------------------------------------


def _subscribed_events() -> list[dict]:
    manifest = yaml.safe_load((REPO / "slack" / "manifest.yml").read_text())
    events = []
    for name in manifest["settings"]["event_subscriptions"]["bot_events"]:
        kind, _, channel_type = name.partition(".")
        event = {"type": kind, "user": "U0EVT", "text": "kaspersky", "ts": "1700000000.1"}
        if channel_type:
            event["channel_type"] = channel_type
        events.append(event)
    return events


@pytest.mark.parametrize(
    "event",
    [
        *_subscribed_events(),
        {"type": "message", "channel_type": "channel", "user": "U0EVT", "text": "hi"},
        {"type": "message", "channel_type": "mpim", "user": "U0EVT", "text": "hi"},
        {"type": "reaction_added", "user": "U0EVT", "reaction": "eyes"},
        {"type": "member_joined_channel", "user": "U0EVT"},
        {"type": "app_home_opened", "user": "U0EVT"},
    ],
    ids=lambda e: f"{e['type']}.{e.get('channel_type', '')}",
)
def test_every_event_is_acknowledged_never_404(bot, fake, event):
    """Subscribed events get answered; anything else Slack may send is acked so it is never
    retried. A 404 here would make Slack retry and eventually disable the subscription."""
    channel = unique("CEVT")
    status, _, seconds = send_signed(bot.url, event_body({**event, "channel": channel}), form=False)
    assert status == 200 and seconds < 3
    subscribed = event["type"] == "app_mention" or event.get("channel_type") == "im"
    if subscribed:
        fake.wait_for(lambda c: c.body.get("channel") == channel)
    else:
        time.sleep(0.3)
        assert not calls_for(fake, channel=channel)


IGNORED = {
    "bot message": {"bot_id": "B0OTHER", "user": "U0BOTUSER"},
    "own message": {"user": BOT_USER_ID},
    "bot_message subtype": {"subtype": "bot_message", "bot_id": "B0OTHER"},
    "edited": {"subtype": "message_changed", "message": {"text": "kaspersky", "user": "U1"}},
    "deleted": {"subtype": "message_deleted", "previous_message": {"text": "kaspersky"}},
    "joined": {"subtype": "channel_join"},
    "file share": {"subtype": "file_share"},
    "no user": {"user": None},
}


@pytest.mark.parametrize("surface", ["im", "mention"])
def test_bot_and_subtype_messages_are_ignored(bot, fake, surface):
    asked = len(bot.asker.asked)
    channels = []
    for variant in IGNORED.values():
        channel = unique("CIGN")
        channels.append(channel)
        event = {"user": "U0HUMAN", "text": f"<@{BOT_USER_ID}> kaspersky", "ts": "1.1"}
        if surface == "im":
            event |= {"type": "message", "channel_type": "im"}
        else:
            event |= {"type": "app_mention"}
        event = {k: v for k, v in ({**event, **variant, "channel": channel}).items() if v}
        assert send_signed(bot.url, event_body(event), form=False)[0] == 200
    time.sleep(0.5)
    assert len(bot.asker.asked) == asked
    for channel in channels:
        assert not calls_for(fake, channel=channel)


def test_concurrent_duplicate_deliveries_answer_once(bot, fake):
    """Retries racing each other (HTTP event with X-Slack-Retry-Num, slash command re-sent
    with the same trigger_id): one answer each, however they interleave."""
    channel = unique("CDUP")
    name = unique("dup")
    event = {
        "type": "app_mention",
        "user": "U0DUP",
        "text": f"<@{BOT_USER_ID}> kaspersky",
        "ts": "1700000400.000100",
        "channel": channel,
    }
    event_raw = event_body(event, event_id=unique("EvDUP"))
    slash_raw = slash_body("kaspersky", fake.response_url(name), trigger=unique("trig-dup"))

    def deliver(attempt: int):
        retry = {"X-Slack-Retry-Num": str(attempt), "X-Slack-Retry-Reason": "http_timeout"}
        extra = retry if attempt else {}
        return (
            send_signed(bot.url, event_raw, form=False, **extra)[0],
            send_signed(bot.url, slash_raw, **extra)[0],
        )

    with ThreadPoolExecutor(6) as pool:
        statuses = list(pool.map(deliver, [0, 1, 2, 3, 1, 2]))
    assert all(s == (200, 200) for s in statuses)
    fake.wait_for(lambda c: c.body.get("channel") == channel)
    fake.wait_for(fake.to_response(name))
    time.sleep(1.0)
    assert len(calls_for(fake, channel=channel)) == 1
    assert len(calls_for(fake, name=name)) == 1
    # long enough for Slack's retry schedule (immediately, 1 min, 5 min)
    assert SlackSettings().dedupe_ttl >= 5 * 60 + 60


# --- hostile text through the whole answer path ----------------------------------------------

_LINK = re.compile(r"<([^<>|]*)\|([^<>]*)>")
_CONTROL_SEQUENCES = [
    "<!channel>",
    "<!here>",
    "<!everyone>",
    "<@U123>",
    "<#C123|general>",
    "<!subteam^S123>",
    "<http://x|y>",
    "<javascript:alert(1)|click>",
    "<mailto:a@b.c|mail>",
    "&lt;!channel&gt;",
    "&amp;",
    "@channel",
    "@here",
    "*bold*",
    "_it_",
    "~s~",
    "`code`",
    "```block```",
    "> quote",
    "\u202e",
    "\x00",
    "\x1b[2J",
]
slack_text = st.one_of(
    st.text(max_size=200),
    st.lists(
        st.one_of(
            st.sampled_from(_CONTROL_SEQUENCES),
            st.sampled_from(
                ["kaspersky", "Quillon", "GSA", "Zyphronix", "banned", "Corvane", "Xantheon"]
            ),
            st.text(max_size=6),
        ),
        max_size=30,
    ).map(" ".join),
    st.builds(lambda s, n: s * n, st.sampled_from(_CONTROL_SEQUENCES), st.integers(1, 5000)),
    st.sampled_from(["", " ", "\t\n", "help"]),
)


def strings(node, mrkdwn: list[str], plain: list[str]) -> None:
    if isinstance(node, dict):
        if node.get("type") == "mrkdwn" and isinstance(node.get("text"), str):
            mrkdwn.append(node["text"])
        elif node.get("type") == "plain_text" and isinstance(node.get("text"), str):
            plain.append(node["text"])
        for key, value in node.items():
            if key == "text" and isinstance(value, str):
                continue
            strings(value, mrkdwn, plain)
    elif isinstance(node, list):
        for item in node:
            strings(item, mrkdwn, plain)


def check_message(message: dict) -> None:
    """Within Slack's limits; every `<`, `>`, `&` is one we wrote; links only http(s)."""
    blocks = message.get("blocks") or []
    assert len(blocks) <= 50
    for block in blocks:
        if block["type"] == "section":
            assert len(block["text"]["text"]) <= 3000
        if block["type"] == "context":
            assert len(block["elements"]) <= 10
            assert all(len(e.get("text", "")) <= 3000 for e in block["elements"])
        for element in block.get("elements") or []:
            if element.get("type") == "button":
                assert len(element["text"]["text"]) <= 75 and len(element["value"]) <= 2000
    assert len(message.get("text") or "") <= 40_000
    mrkdwn, plain = [message.get("text") or ""], []
    strings(blocks, mrkdwn, plain)
    for text in mrkdwn:
        for url, _label in _LINK.findall(text):
            assert re.match(r"https?://[^\s]+$", url), f"link to {url!r}"
        rest = re.sub(r"(?m)^> ", "", _LINK.sub("", text))
        assert "<" not in rest and ">" not in rest, rest[:300]
        assert not re.search(r"&(?!amp;|lt;|gt;)", rest), rest[:300]
        assert not re.search(r"@(channel|here|everyone)\b", text, re.IGNORECASE)
    for text in mrkdwn + plain:
        bad = [c for c in text if unicodedata.category(c) == "Cc" and c != "\n"]
        assert not bad and "\u202e" not in text, repr(text[:200])


@settings(
    max_examples=30,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@example(text="&amp;" * 394)
@given(text=slack_text)
def test_hostile_slash_commands_come_back_inert_and_within_limits(bot, fake, text):
    name = unique("fuzz")
    status, ack, seconds = send_signed(bot.url, slash_body(text, fake.response_url(name)))
    assert status == 200 and seconds < 3
    message = json.loads(ack) if ack else fake.wait_for(fake.to_response(name))[0].body
    check_message(message)


@settings(
    max_examples=20,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture],
)
@given(text=st.one_of(slack_text, st.text(st.characters(exclude_categories=()), max_size=80)))
def test_hostile_mentions_come_back_inert_and_within_limits(bot, fake, text):
    """Events arrive as JSON, so lone surrogates (`\\udcff`) can reach the bot this way."""
    channel = unique("CFUZZ")
    event = {
        "type": "app_mention",
        "user": "U0FUZZ",
        "text": f"<@{BOT_USER_ID}> {text}",
        "ts": "1700000500.000100",
        "channel": channel,
    }
    assert send_signed(bot.url, event_body(event), form=False)[0] == 200
    posted = fake.wait_for(lambda c: c.body.get("channel") == channel)[0].body
    check_message(posted)


# --- bounded work ----------------------------------------------------------------------------


def test_answer_timeout_from_the_environment_says_took_too_long_once(
    fake, engine, tmp_path: Path, monkeypatch
):
    """VENDORCHECK_ANSWER_TIMEOUT at 1 ms, shorter than any real answer (one query embedding
    alone takes longer), so answers pass their deadline whatever the machine's speed: each user
    gets exactly one reply, either the answer or "took too long", never silence, never both."""
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_SIGNING_SECRET", SIGNING_SECRET)
    monkeypatch.setenv("SLACK_API_URL", fake.url)
    monkeypatch.setenv("VENDORCHECK_ANSWER_TIMEOUT", "0.001")
    monkeypatch.setenv("VENDORCHECK_RATE_LIMIT", "0")
    settings_ = SlackSettings.from_env()
    assert settings_.answer_timeout == 0.001
    server = BotServer(settings_, engine[1], tmp_path).start()
    try:
        names = [unique(f"slow{i}-") for i in range(12)]
        questions = ["is Kaspersky allowed on GSA?", "why was Corvane banned?", "Quillon GSA"]
        with ThreadPoolExecutor(12) as pool:
            acks = list(
                pool.map(
                    lambda i: send_signed(
                        server.url,
                        slash_body(questions[i % 3], fake.response_url(names[i])),
                    ),
                    range(12),
                )
            )
        assert all(status == 200 and seconds < 3 for status, _, seconds in acks)
        replies = [fake.wait_for(fake.to_response(n))[0].body for n in names]
        time.sleep(1.5)  # late answers would arrive now
        assert all(len(calls_for(fake, name=n)) == 1 for n in names)
        texts = [json.dumps(r) for r in replies]
        assert any("took too long" in t for t in texts)
        for reply in replies:
            check_message(reply)
    finally:
        server.stop()


def test_query_limit_is_documented_and_applied(bot, fake):
    """The documented VENDORCHECK_MAX_QUERY_CHARS default cuts a 100 kB question with a note."""
    example = (REPO / ".env.example").read_text()
    assert re.search(r"^#?\s*VENDORCHECK_MAX_QUERY_CHARS=500", example, re.MULTILINE)
    assert re.search(r"^#?\s*VENDORCHECK_RATE_LIMIT=\d+", example, re.MULTILINE)
    name = unique("long")
    text = "is Kaspersky allowed on GSA? " * 3500  # ~100 kB
    body = slash_body(text, fake.response_url(name))
    assert len(body) > 100_000
    status, _, seconds = send_signed(bot.url, body)
    assert status == 200 and seconds < 3
    message = fake.wait_for(fake.to_response(name))[0].body
    check_message(message)
    blob = urllib.parse.unquote(json.dumps(message))
    assert "characters; only the first" in blob and "crn.com" in blob


def test_query_limit_setting_is_the_bots_own(fake, engine, tmp_path):
    """VENDORCHECK_MAX_QUERY_CHARS is applied by the bot (not only the engine's own cap)."""
    server = BotServer(make_settings(fake, max_query_chars=40), engine[1], tmp_path).start()
    try:
        name = unique("cut")
        text = "is Kaspersky allowed on the GSA schedule for federal agencies in 2017?"
        assert send_signed(server.url, slash_body(text, fake.response_url(name)))[0] == 200
        blob = all_strings(fake.wait_for(fake.to_response(name))[0].body)
        note = re.search(r"was ([\d,]+) characters; only the first (\d+) were used", blob)
        assert note and int(note.group(1)) == len(text) and int(note.group(2)) <= 40, blob[:500]
    finally:
        server.stop()


def all_strings(message: dict) -> str:
    mrkdwn, plain = [message.get("text") or ""], []
    strings(message.get("blocks") or [], mrkdwn, plain)
    return "\n".join(mrkdwn + plain)


def test_links_are_only_ever_http_or_https(bot, fake):
    """Eight Xantheon articles carry javascript:, data:, ftp:, slack:, mailto: and malformed
    URLs: the answer names them, and links none of them."""
    for query in ("Xantheon", "why were Xantheon sensors banned?"):
        name = unique("links")
        assert send_signed(bot.url, slash_body(query, fake.response_url(name)))[0] == 200
        message = fake.wait_for(fake.to_response(name))[0].body
        check_message(message)
        text = json.dumps(message)
        assert "Xantheon report" in text
        for scheme in ("javascript:", "data:", "ftp:", "slack:", "mailto:"):
            assert f"<{scheme}" not in text
