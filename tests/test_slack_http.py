"""The real Bolt app in HTTP mode over loopback: signed requests in, Slack API calls out."""

from __future__ import annotations

import http.client
import json
import threading
import time
import urllib.error
import urllib.request

import pytest
from slack_fakes import (
    BOT_USER_ID,
    FakeSlack,
    action_body,
    action_payload,
    all_text,
    button,
    event_body,
    post,
    send_signed,
    sign,
    slash_body,
)
from slack_harness import (
    CORVANE_QUERY,
    HOSTILE_QUERY,
    REPO,
    BotServer,
    build_test_corpus,
    make_settings,
)

from bot.slack.feedback import FeedbackStore
from bot.slack.render import ButtonState
from index.engine import open_retriever

SEED_URL = (
    "https://www.crn.com/news/security/300088541/kaspersky-lab-faces-new-wave-of-allegations-"
    "about-russian-roots-could-be-blocked-from-federal-sales"
)
SEED_TITLE = (
    "Kaspersky Lab Faces New Wave Of Allegations About Russian Roots, Could Be Blocked From "
    "Federal Sales"
)
FORM = "application/x-www-form-urlencoded"


@pytest.fixture(scope="module")
def engine(tmp_path_factory, model_cache, embedder):
    config = build_test_corpus(tmp_path_factory.mktemp("slack"), model_cache)
    return config, open_retriever(config, embedder)


@pytest.fixture(scope="module")
def bot(fake, engine, tmp_path_factory):
    _config, retriever = engine
    server = BotServer(make_settings(fake), retriever, tmp_path_factory.mktemp("data")).start()
    yield server
    server.stop()


def unique(prefix: str) -> str:
    return f"{prefix}{time.time_ns()}"


def slash(bot: BotServer, fake: FakeSlack, text: str, user: str = "U0USER1"):
    name = unique("r")
    status, body, _seconds = send_signed(bot.url, slash_body(text, fake.response_url(name), user))
    return status, body, name


def test_slash_command_answers_with_quote_bold_key_sentence_link_and_date(bot, fake):
    status, body, name = slash(bot, fake, "is Kaspersky allowed on GSA?")
    assert status == 200 and body == ""  # acked empty: the answer follows via response_url
    message = fake.wait_for(fake.to_response(name))[0].body
    assert message["response_type"] == "ephemeral"
    assert message["unfurl_links"] is False and message["unfurl_media"] is False
    first = next(
        b for b in message["blocks"] if b["type"] == "section" and "> " in b["text"]["text"]
    )
    text = first["text"]["text"]
    assert text.startswith("> ")
    assert "*" in text and "GSA Schedule" in text
    bold = text.split("*")[1]
    assert "Kaspersky" in bold and "GSA" in bold  # the key sentence is the bold one
    # quote and key sentence are verbatim from the seed article (whitespace aside)
    seed = " ".join((REPO / "corpus" / "crn-2017-07-11-kaspersky-gsa.md").read_text().split())
    quote = text.split("\n", 1)[0].removeprefix("> ").replace("*", "").removesuffix("…")
    assert bold in seed and quote.replace("&amp;", "&") in seed
    assert f"<{SEED_URL}|{SEED_TITLE}>" in text
    assert "CRN · 2017-07-11" in text
    assert any(
        b["type"] == "context" and b["elements"][0]["text"].startswith("Match score")
        for b in message["blocks"]
    )
    assert button(message, "vc_share") and button(message, "vc_dismiss")
    assert button(message, "vc_helpful") and button(message, "vc_unhelpful")


def test_help_and_empty_command_show_usage_in_the_ack(bot, fake):
    for text in ("", "help", "   "):
        status, body, _ = slash(bot, fake, text)
        assert status == 200
        data = json.loads(body)
        assert data["response_type"] == "ephemeral"
        assert "/vendorcheck kaspersky" in all_text(data)


def test_nothing_in_corpus_is_a_clear_message(bot, fake):
    status, _, name = slash(bot, fake, "zzqx flurble wibblequark")
    assert status == 200
    message = fake.wait_for(fake.to_response(name))[0].body
    assert "Nothing in the corpus" in all_text(message)
    assert message["text"].strip()
    assert button(message, "vc_share") is None
    name = click(bot, fake, "vc_unhelpful", button(message, "vc_unhelpful")["value"], user="U0NONE")
    fake.wait_for(fake.to_response(name))
    record = next(r for r in bot.store.feedback() if r["user_id"] == "U0NONE")
    assert record["query"] == "zzqx flurble wibblequark" and record["results"] == []


def test_over_long_question_is_cut_with_a_note(bot, fake):
    status, _, name = slash(bot, fake, "is Kaspersky allowed on GSA? " + "padding " * 400)
    assert status == 200
    message = fake.wait_for(fake.to_response(name))[0].body
    assert "only the first" in all_text(message)
    check = all_text(message)
    assert len(message["blocks"]) <= 50 and "GSA" in check


def test_hostile_article_renders_inert(bot, fake):
    status, _, name = slash(bot, fake, HOSTILE_QUERY)
    assert status == 200
    message = fake.wait_for(fake.to_response(name))[0].body
    text = all_text(message)
    assert "Zyphronix" in text
    for forbidden in ("<!channel>", "<!here>", "<@U123>", "<@U999>", "<http://evil"):
        assert forbidden not in text
    # the link is built from the article URL with its control characters encoded
    assert "<https://evil.example/report?a=1&amp;b=2%7C%3C!channel%3E|Zyphronix" in text
    assert "&lt;!channel&gt;" in text and "&lt;@U123&gt;" in text
    assert "&lt;http://evil.example|click here&gt;" in text
    assert "@channel" not in text and "@everyone" not in text  # broken by a word joiner
    assert "Evil &lt;b&gt;Wire&lt;/b&gt; &amp; Co" in text


def test_forged_and_stale_requests_are_rejected(bot, fake):
    body = slash_body("kaspersky", fake.response_url(unique("forged")))
    assert post(bot.url, body, {}, FORM)[0] == 401
    assert post(bot.url, body, sign(body, secret="not-the-secret"), FORM)[0] == 401
    assert post(bot.url, body, sign(body, timestamp=int(time.time()) - 600), FORM)[0] == 401
    time.sleep(0.3)
    assert not [c for c in fake.calls if c.path.startswith("/response/forged")]


def test_garbage_and_oversized_bodies_are_refused_without_running_anything(bot):
    request = urllib.request.Request(
        bot.url, data=b"\xff\xfe\x00garbage", headers={"Content-Type": FORM}, method="POST"
    )
    try:
        urllib.request.urlopen(request, timeout=10)
        raise AssertionError("accepted")
    except urllib.error.HTTPError as exc:
        assert exc.code == 400
    # an absurd declared size is refused before the body is read
    connection = http.client.HTTPConnection("127.0.0.1", bot.port, timeout=10)
    connection.putrequest("POST", "/slack/events")
    connection.putheader("Content-Type", FORM)
    connection.putheader("Content-Length", "5000000")
    connection.endheaders()
    assert connection.getresponse().status == 413
    connection.close()


def test_url_verification_and_ssl_check(bot):
    body = json.dumps({"token": "x", "challenge": "abc123", "type": "url_verification"})
    status, text, _ = send_signed(bot.url, body, form=False)
    assert status == 200 and json.loads(text)["challenge"] == "abc123"
    body = "ssl_check=1&token=x"
    status, _, _ = post(bot.url, body, {}, FORM)
    assert status == 200


def test_retried_slash_command_answers_once(bot, fake):
    name = unique("retry")
    body = slash_body("kaspersky", fake.response_url(name), trigger="trig-retry-1")
    assert send_signed(bot.url, body)[0] == 200
    assert send_signed(bot.url, body, **{"X-Slack-Retry-Num": "1"})[0] == 200
    fake.wait_for(fake.to_response(name))
    time.sleep(1.0)
    assert len([c for c in fake.calls if c.path == f"/response/{name}"]) == 1


def test_mention_answers_in_thread_and_follow_up_mention_too(bot, fake):
    channel = unique("CMENTION")
    event = {
        "type": "app_mention",
        "user": "U0USER2",
        "text": f"<@{BOT_USER_ID}> is Kaspersky allowed on GSA?",
        "ts": "1700000100.000200",
        "channel": channel,
    }
    status, _, _ = send_signed(bot.url, event_body(event), form=False)
    assert status == 200
    posted = fake.wait_for(
        lambda c: c.method == "chat.postMessage" and c.body["channel"] == channel
    )
    first = posted[0].body
    assert first["thread_ts"] == "1700000100.000200"
    assert first["unfurl_links"] is False
    assert f"<{SEED_URL}|{SEED_TITLE}>" in all_text(first)
    assert button(first, "vc_share") is None  # already visible to everyone
    assert button(first, "vc_helpful") is not None

    follow_up = {
        **event,
        "text": f"<@{BOT_USER_ID}> what about the Department of Defense?",
        "ts": "1700000200.000300",
        "thread_ts": "1700000100.000200",
    }
    assert send_signed(bot.url, event_body(follow_up), form=False)[0] == 200
    posted = fake.wait_for(
        lambda c: c.method == "chat.postMessage" and c.body["channel"] == channel, count=2
    )
    assert posted[1].body["thread_ts"] == "1700000100.000200"


def test_retried_event_is_answered_once(bot, fake):
    channel = unique("CRETRY")
    event = {
        "type": "app_mention",
        "user": "U0USER3",
        "text": f"<@{BOT_USER_ID}> kaspersky",
        "ts": "1700000300.000100",
        "channel": channel,
    }
    body = event_body(event, event_id="EvRETRY1")
    assert send_signed(bot.url, body, form=False)[0] == 200
    retry = {"X-Slack-Retry-Num": "1", "X-Slack-Retry-Reason": "http_timeout"}
    assert send_signed(bot.url, body, form=False, **retry)[0] == 200
    fake.wait_for(lambda c: c.method == "chat.postMessage" and c.body["channel"] == channel)
    time.sleep(1.0)
    assert len([c for c in fake.calls if c.body.get("channel") == channel]) == 1


def test_dm_is_answered_in_the_dm_and_bot_messages_are_ignored(bot, fake):
    channel = unique("DIM")
    dm = {
        "type": "message",
        "channel_type": "im",
        "user": "U0USER4",
        "text": "kaspersky",
        "ts": "1700000400.000100",
        "channel": channel,
    }
    assert send_signed(bot.url, event_body(dm), form=False)[0] == 200
    answer = fake.wait_for(
        lambda c: c.method == "chat.postMessage" and c.body["channel"] == channel
    )
    assert answer[0].body.get("thread_ts") is None
    assert SEED_URL in all_text(answer[0].body)

    ignored = [
        {**dm, "bot_id": "B0OTHER", "ts": "1700000401.000100"},
        {**dm, "subtype": "message_changed", "ts": "1700000402.000100"},
        {**dm, "user": BOT_USER_ID, "ts": "1700000403.000100"},
        {**dm, "channel_type": "channel", "ts": "1700000404.000100"},
    ]
    for event in ignored:
        assert send_signed(bot.url, event_body(event), form=False)[0] == 200
    unknown = {"type": "reaction_added", "user": "U0USER4", "reaction": "+1"}
    assert send_signed(bot.url, event_body(unknown), form=False)[0] == 200  # no 404 -> no retry
    time.sleep(1.0)
    assert len([c for c in fake.calls if c.body.get("channel") == channel]) == 1


def first_answer(bot, fake, text: str, user: str = "U0USER5") -> dict:
    status, _, name = slash(bot, fake, text, user)
    assert status == 200
    return fake.wait_for(fake.to_response(name))[0].body


def click(bot, fake, action_id: str, value: str, **options) -> str:
    name = unique("click")
    payload = action_payload(action_id, value, fake.response_url(name), **options)
    status, body, _ = send_signed(bot.url, action_body(payload))
    assert status == 200, body
    return name


def test_share_in_channel_reposts_for_everyone_and_removes_the_ephemeral(bot, fake):
    message = first_answer(bot, fake, "is Kaspersky allowed on GSA?")
    name = click(bot, fake, "vc_share", button(message, "vc_share")["value"], user="U0SHARER")
    shared, deleted = fake.wait_for(fake.to_response(name), count=2)
    assert shared.body["response_type"] == "in_channel"
    assert shared.body["unfurl_links"] is False
    assert "Shared by <@U0SHARER>" in all_text(shared.body)
    assert f"<{SEED_URL}|{SEED_TITLE}>" in all_text(shared.body)
    assert button(shared.body, "vc_share") is None
    assert deleted.body["delete_original"] is True


def test_keep_to_myself_dismisses(bot, fake):
    message = first_answer(bot, fake, "kaspersky")
    name = click(bot, fake, "vc_dismiss", button(message, "vc_dismiss")["value"])
    assert fake.wait_for(fake.to_response(name))[0].body["delete_original"] is True


def test_more_sources_shows_the_next_ones(bot, fake):
    message = first_answer(bot, fake, CORVANE_QUERY)
    shown = [b for b in message["blocks"] if b["type"] == "section" and "> " in b["text"]["text"]]
    assert len(shown) == 3
    more = button(message, "vc_more")
    assert more is not None and more["text"]["text"].startswith("More sources")
    name = click(bot, fake, "vc_more", more["value"])
    page = fake.wait_for(fake.to_response(name))[0].body
    quotes = [b["text"]["text"] for b in page["blocks"] if b["type"] == "section"][1:]
    assert quotes and all(q not in [s["text"]["text"] for s in shown] for q in quotes)
    assert "Results 4-6 of" in all_text(page)
    assert page["response_type"] == "ephemeral"
    assert ButtonState.decode(button(page, "vc_share")["value"]).offset == 3  # shares this page


def test_more_sources_in_a_thread_posts_in_the_thread(bot, fake):
    message = first_answer(bot, fake, CORVANE_QUERY)
    channel = unique("CTHREAD")
    click(
        bot,
        fake,
        "vc_more",
        button(message, "vc_more")["value"],
        ephemeral=False,
        channel=channel,
        message_ts="1700000500.000100",
        thread_ts="1700000499.000100",
    )
    posted = fake.wait_for(
        lambda c: c.method == "chat.postMessage" and c.body["channel"] == channel
    )
    assert posted[0].body["thread_ts"] == "1700000499.000100"


def test_feedback_is_recorded_with_query_results_and_user(bot, fake, tmp_path):
    message = first_answer(bot, fake, CORVANE_QUERY, user="U0FEEDBK")
    shown = [b for b in message["blocks"] if b["type"] == "section" and "> " in b["text"]["text"]]
    helpful = button(message, "vc_helpful")["value"]
    name = click(bot, fake, "vc_helpful", helpful, user="U0FEEDBK")
    thanks = fake.wait_for(fake.to_response(name))[0].body
    assert "Thanks" in all_text(thanks)
    name = click(bot, fake, "vc_unhelpful", button(message, "vc_unhelpful")["value"], user="U0FB2")
    fake.wait_for(fake.to_response(name))
    records = [r for r in bot.store.feedback() if r["user_id"] in ("U0FEEDBK", "U0FB2")]
    assert [r["verdict"] for r in records] == ["helpful", "not_helpful"]
    assert records[0]["query"] == CORVANE_QUERY
    assert len(records[0]["results"]) == len(shown) == 3
    assert records[0]["results"][0]["url"] in shown[0]["text"]["text"]
    # a second connection (what `vendorcheck feedback` uses) sees the committed rows
    other = FeedbackStore(bot.store.path.parent)
    assert len([r for r in other.feedback() if r["user_id"] == "U0FEEDBK"]) == 1
    other.close()


def test_buttons_survive_a_restart(fake, engine, tmp_path):
    """Button values carry the stored answer id and the question: a new process serves them."""
    _, retriever = engine
    first = BotServer(make_settings(fake), retriever, tmp_path).start()
    try:
        message = first_answer(first, fake, CORVANE_QUERY)
    finally:
        first.stop()
    second = BotServer(make_settings(fake), retriever, tmp_path).start()
    try:
        name = click(second, fake, "vc_more", button(message, "vc_more")["value"])
        page = fake.wait_for(fake.to_response(name))[0].body
        assert "Results 4-6 of" in all_text(page)
    finally:
        second.stop()
    # a stale id still works: the question is re-asked
    third_dir = tmp_path / "fresh"
    third = BotServer(make_settings(fake), retriever, third_dir).start()
    try:
        name = click(third, fake, "vc_share", button(message, "vc_share")["value"])
        shared = fake.wait_for(fake.to_response(name), count=2)[0].body
        assert shared["response_type"] == "in_channel"
    finally:
        third.stop()


def test_rate_limit_replies_politely(fake, engine, tmp_path):
    _, retriever = engine
    server = BotServer(make_settings(fake, rate_limit=2), retriever, tmp_path).start()
    try:
        for _ in range(2):
            status, body, name = slash(server, fake, "kaspersky", user="U0RATE")
            assert status == 200 and body == ""
            fake.wait_for(fake.to_response(name))
        status, body, _ = slash(server, fake, "kaspersky", user="U0RATE")
        assert status == 200
        assert "Please wait" in all_text(json.loads(body))
        status, body, _ = slash(server, fake, "kaspersky", user="U0OTHER")
        assert body == ""  # other users are not affected
    finally:
        server.stop()


class BlockingAsker:
    """The real retriever behind a gate, to hold an answer in flight for as long as a test needs."""

    def __init__(self, retriever) -> None:
        self.retriever = retriever
        self.gate = threading.Event()
        self.started = threading.Event()

    def ask(self, query: str, k: int = 5):
        self.started.set()
        self.gate.wait(30)
        return self.retriever.ask(query, k=k)


def test_slow_answer_gets_took_too_long_once_and_ack_does_not_wait(fake, engine, tmp_path):
    _, retriever = engine
    asker = BlockingAsker(retriever)
    server = BotServer(make_settings(fake, answer_timeout=0.5), asker, tmp_path).start()
    try:
        status, body, name = slash(server, fake, "kaspersky")
        assert status == 200 and body == ""  # acked while the answer is still blocked
        assert asker.started.wait(10)
        late = fake.wait_for(fake.to_response(name))[0].body
        assert "took too long" in all_text(late)
        asker.gate.set()
        time.sleep(1.0)
        assert len([c for c in fake.calls if c.path == f"/response/{name}"]) == 1
    finally:
        asker.gate.set()
        server.stop()


def test_shutdown_lets_in_flight_answers_finish(fake, engine, tmp_path):
    _, retriever = engine
    asker = BlockingAsker(retriever)
    server = BotServer(make_settings(fake, shutdown_grace=20), asker, tmp_path).start()
    status, _, name = slash(server, fake, "kaspersky")
    assert status == 200 and asker.started.wait(10)
    threading.Timer(0.5, asker.gate.set).start()
    assert server.stop() is True  # drained
    message = fake.wait_for(fake.to_response(name), timeout=5)[0].body
    assert SEED_URL in all_text(message)


def test_healthz(bot):
    with urllib.request.urlopen(bot.url.replace("/slack/events", "/healthz")) as response:
        data = json.loads(response.read())
    assert data["ok"] is True and data["articles"] >= 8


def test_subcommands_from_other_modules_and_fallback_to_question(bot, fake):
    seen = []

    def ping(ack, body, respond) -> bool:
        if body["text"].strip() != "ping":
            return False  # "ping kaspersky?" is a question
        seen.append(body["user_id"])
        ack(response_type="ephemeral", text="pong")
        return True

    bot.runtime.bot.subcommands["ping"] = ping
    try:
        status, body, _ = slash(bot, fake, "ping", user="U0PING")
        assert status == 200 and json.loads(body)["text"] == "pong" and seen == ["U0PING"]
        status, body, name = slash(bot, fake, "ping kaspersky gsa", user="U0PING")
        assert status == 200 and body == ""
        assert SEED_URL in all_text(fake.wait_for(fake.to_response(name))[0].body)
    finally:
        del bot.runtime.bot.subcommands["ping"]


def test_queue_full_gets_a_busy_reply_not_silence(fake, engine, tmp_path):
    _, retriever = engine
    asker = BlockingAsker(retriever)
    settings = make_settings(fake, answer_workers=1, max_pending=1)
    server = BotServer(settings, asker, tmp_path).start()
    try:
        status, _, first = slash(server, fake, "kaspersky")
        assert status == 200 and asker.started.wait(10)
        status, body, second = slash(server, fake, "kaspersky gsa")
        assert status == 200 and body == ""
        busy = fake.wait_for(fake.to_response(second))[0].body
        assert "busy" in all_text(busy)
        asker.gate.set()
        assert SEED_URL in all_text(fake.wait_for(fake.to_response(first))[0].body)
    finally:
        asker.gate.set()
        server.stop()


def test_empty_mention_gets_usage_in_the_thread(bot, fake):
    channel = unique("CEMPTY")
    event = {
        "type": "app_mention",
        "user": "U0USER9",
        "text": f"<@{BOT_USER_ID}>",
        "ts": "1700000700.000100",
        "channel": channel,
    }
    assert send_signed(bot.url, event_body(event), form=False)[0] == 200
    posted = fake.wait_for(
        lambda c: c.method == "chat.postMessage" and c.body["channel"] == channel
    )
    assert posted[0].body["thread_ts"] == "1700000700.000100"
    assert "/vendorcheck kaspersky" in all_text(posted[0].body)
