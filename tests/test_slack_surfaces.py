"""Issue 15's Slack surfaces end to end over loopback HTTP with signed requests: the "Check
vendors" message shortcut, the App Home tab (app_home_opened -> views.publish), and the evidence
export (block action -> conversations.open, files.getUploadURLExternal, the upload POST,
files.completeUploadExternal). Every Block Kit payload the Web API stand-in recorded is parsed
with slack_sdk.models."""

from __future__ import annotations

import hashlib
import json
import shutil
import time

import pytest
from conftest import root_config
from slack_fakes import (
    TEAM_ID,
    FakeSlack,
    action_body,
    action_payload,
    all_text,
    button,
    event_body,
    free_port,
    send_signed,
    slash_body,
)
from slack_harness import CORVANE_FACTS, REPO, BotServer, corvane_article, make_settings
from slack_sdk.models.blocks import Block
from slack_sdk.models.views import View

from bot.slack.listeners import admin
from index.engine import build, open_retriever
from index.ingest.fetch import FetchLimits
from index.store.generations import ARTICLES, current_generation

ADMIN = "U0ADMIN1"
SEED_TITLE = "Kaspersky Lab Faces New Wave Of Allegations"
MESSAGE = (
    "Purchase request: 40 Hikvision cameras, a Kaspersky licence renewal and Corvane drones "
    "from Acme Widgets Inc. Finance approved the budget on Monday."
)


def valid_blocks(blocks: list[dict]) -> list[dict]:
    """Each block parses as its Block Kit type and passes slack_sdk's own validation."""
    assert blocks
    for raw in blocks:
        parsed = Block.parse(raw)
        assert parsed is not None and type(parsed) is not Block, raw
        assert parsed.to_dict()  # validates lengths and required fields
    return blocks


@pytest.fixture(scope="module")
def config(tmp_path_factory, model_cache):
    root = tmp_path_factory.mktemp("surfaces")
    corpus = root / "corpus"
    corpus.mkdir()
    shutil.copy(next((REPO / "corpus").glob("crn-*.md")), corpus)
    for date, publisher, text in CORVANE_FACTS[:2]:
        (corpus / f"corvane-{date}.md").write_text(corvane_article(date, publisher, text))
    dead = f"http://127.0.0.1:{free_port()}/feed.xml"  # nothing listens: the feed errors
    (corpus / "feeds.yml").write_text(f"feeds:\n  - url: {dead}\n    name: Loopback feed\n")
    config = root_config(root, corpus, model_cache)
    build(config)
    return config


@pytest.fixture(scope="module")
def bot(fake, config, embedder):
    settings = make_settings(fake, admins=frozenset({ADMIN}))
    server = BotServer(settings, open_retriever(config, embedder), config.data_dir)
    limits = FetchLimits(timeout=2.0, allow_private=True)
    server.fresh = admin.attach(server.runtime, config, interval=0, limits=limits)
    server.runtime.on_close.insert(0, server.fresh.close)
    yield server.start()
    server.stop()


def unique(prefix: str) -> str:
    return f"{prefix}{time.time_ns()}"


def shortcut_body(text: str, response_url: str, user: str = "U0SHORT") -> str:
    payload = {
        "type": "message_action",
        "callback_id": "vc_check_vendors",
        "trigger_id": f"{time.time_ns()}.1.sc",
        "response_url": response_url,
        "team": {"id": TEAM_ID, "domain": "test"},
        "user": {"id": user, "name": "alice"},
        "channel": {"id": "C0PURCH", "name": "purchasing"},
        "message_ts": "1700000500.000100",
        "message": {"type": "message", "user": "U0BOB", "ts": "1700000500.000100", "text": text},
        "token": "unused-legacy",
    }
    return action_body(payload)


def ask(bot, fake, text: str, user: str, channel: str = "C0CHAN1") -> dict:
    name = unique("ask")
    body = slash_body(text, fake.response_url(name), user).replace("C0CHAN1", channel)
    assert send_signed(bot.url, body)[0] == 200
    return fake.wait_for(fake.to_response(name))[0].body


def watch(bot, fake, vendor: str, user: str, channel: str) -> str:
    """`/vendorcheck watch VENDOR` in `channel`: answered in the ack itself."""
    body = slash_body(f"watch {vendor}", fake.response_url(unique("w")), user)
    status, text, _ = send_signed(bot.url, body.replace("C0CHAN1", channel))
    assert status == 200
    return all_text(json.loads(text))


def click(bot, fake, element: dict, **payload_options) -> str:
    name = unique("click")
    payload = action_payload(
        element["action_id"], element["value"], fake.response_url(name), **payload_options
    )
    assert send_signed(bot.url, action_body(payload))[0] == 200
    return name


def test_shortcut_replies_one_status_line_per_vendor_with_a_full_answer_button(bot, fake):
    name = unique("sc")
    assert send_signed(bot.url, shortcut_body(MESSAGE, fake.response_url(name)))[0] == 200
    reply = fake.wait_for(fake.to_response(name))[0].body
    assert reply["response_type"] == "ephemeral"
    blocks = valid_blocks(reply["blocks"])
    lines = {b["text"]["text"].split("*")[1]: b for b in blocks if b.get("accessory")}
    assert set(lines) == {"Kaspersky", "Corvane", "Hikvision", "Acme Widgets Inc"}
    kaspersky = lines["Kaspersky"]["text"]["text"]
    assert "official list" in kaspersky and "1 article about it in the corpus" in kaspersky
    assert "not on any list we track" in lines["Corvane"]["text"]["text"]
    assert "2 articles about it in the corpus" in lines["Corvane"]["text"]["text"]
    hikvision = lines["Hikvision"]["text"]["text"]
    assert "official list" in hikvision and "nothing in the corpus" in hikvision
    acme = lines["Acme Widgets Inc"]["text"]["text"]
    assert "not in the corpus and not on any list we track" in acme
    assert "Not found in the corpus or on the official lists: Acme Widgets Inc." in all_text(reply)

    opened = click(bot, fake, lines["Kaspersky"]["accessory"])
    answer = fake.wait_for(fake.to_response(opened))[0].body
    assert answer["response_type"] == "ephemeral"
    assert SEED_TITLE in all_text(answer)
    valid_blocks(answer["blocks"])


def test_shortcut_on_a_message_without_vendors_says_so(bot, fake):
    name = unique("sc")
    body = shortcut_body("lunch at noon in the usual place?", fake.response_url(name))
    assert send_signed(bot.url, body)[0] == 200
    reply = fake.wait_for(fake.to_response(name))[0].body
    assert "I found no vendor names in this message" in all_text(reply)
    valid_blocks(reply["blocks"])


def open_home(bot, fake, user: str) -> dict:
    before = len([c for c in fake.calls if c.method == "views.publish"])
    event = {"type": "app_home_opened", "user": user, "channel": "D0HOME", "tab": "home"}
    assert send_signed(bot.url, event_body(event), form=False)[0] == 200
    published = fake.wait_for(
        lambda c: c.method == "views.publish" and c.body.get("user_id") == user, count=1
    )
    calls = [c for c in fake.calls if c.method == "views.publish"]
    assert len(calls) > before
    view = FakeSlack._view(published[-1].body["view"])
    View(**view).to_dict()  # slack_sdk validates the view as a whole
    valid_blocks(view["blocks"])
    return view


def test_home_tab_shows_recent_questions_watchlists_and_index_state(bot, fake):
    user = "U0HOME1"
    ask(bot, fake, "is Kaspersky allowed on GSA?", user)
    assert "to watch *Kaspersky*" in watch(bot, fake, "Kaspersky", user, "C0WATCH1")
    assert "to watch *Corvane*" in watch(bot, fake, "Corvane", "U0OTHER", "C0WATCH2")
    view = open_home(bot, fake, user)
    text = all_text(view)
    assert view["type"] == "home"
    assert "*is Kaspersky allowed on GSA?*" in text
    assert "<#C0WATCH1>: *Kaspersky*" in text and "C0WATCH2" not in text
    stored = bot.runtime.bot.asker.index
    assert f"*{len(stored.articles)}* articles · *{stored.size}* passages" in text
    assert "Official list snapshots: " in text and "fcc 20" in text
    assert "Syncs (admins)" not in text

    [open_button] = [b["accessory"] for b in view["blocks"] if "accessory" in b]  # one question
    payload = action_payload("vc_open", open_button["value"], "", user=user)
    payload.pop("response_url")
    payload["container"] = {"type": "view", "view_id": "V0001"}
    payload.pop("channel")
    assert send_signed(bot.url, action_body(payload))[0] == 200
    dm = fake.wait_for(lambda c: c.method == "chat.postMessage" and c.body["channel"] == user)
    assert "Kaspersky" in all_text(dm[0].body)
    valid_blocks(dm[0].body["blocks"])


def test_home_tab_shows_admins_every_watchlist_and_the_last_syncs_with_feed_errors(bot, fake):
    report = bot.fresh.sync()  # the loopback feed refuses the connection
    assert report.feeds and report.feeds[0].error
    view = open_home(bot, fake, ADMIN)
    text = all_text(view)
    assert "Syncs (admins)" in text
    assert "*Feeds*, last run" in text
    assert f":warning: Loopback feed: {report.feeds[0].error}"[:60] in text
    assert "*Lists*: not synced since the bot started." in text
    assert "Channel watchlists" in text


def test_export_button_uploads_verifiable_evidence_to_the_users_dm(bot, fake, config):
    user = "U0EXPORT"
    answer = ask(bot, fake, "is Kaspersky allowed on GSA?", user)
    export = button(answer, "vc_export")
    assert export is not None
    name = click(bot, fake, export, user=user)
    reply = fake.wait_for(fake.to_response(name))[0].body
    assert "in your direct messages" in all_text(reply)
    valid_blocks(reply["blocks"])
    valid_blocks(answer["blocks"])

    complete = fake.wait_for(fake.api("files.completeUploadExternal"))[-1].body
    assert complete["channel_id"] == "D0EXPORT"  # conversations.open(users=U0EXPORT)
    assert any(c.method == "conversations.open" for c in fake.calls)
    asked = [c.body for c in fake.calls if c.method == "files.getUploadURLExternal"]
    uploaded = [c for c in fake.calls if c.path.startswith("/upload/")]
    assert len(asked) >= 2 and len(uploaded) >= 2  # one upload URL and one POST per file
    assert {a["filename"].rsplit(".", 1)[1] for a in asked} == {"md", "json"}
    files = (
        json.loads(complete["files"]) if isinstance(complete["files"], str) else complete["files"]
    )
    titles = sorted(f["title"] for f in files)
    assert [t.rsplit(".", 1)[1] for t in titles] == ["json", "md"]
    record = json.loads(fake.uploads[next(f["id"] for f in files if f["title"].endswith("json"))])
    assert record["question"] == "is Kaspersky allowed on GSA?"
    assert record["index"]["generation"] == current_generation(config.index_dir).name
    path = current_generation(config.index_dir) / ARTICLES
    texts = {
        r["id"]: r["text"] for r in map(json.loads, path.read_text(encoding="utf-8").splitlines())
    }
    assert record["quotes"]
    for quote in record["quotes"]:
        text = texts[quote["source"]["article_id"]]
        assert hashlib.sha256(text.encode()).hexdigest() == quote["article_sha256"]
        assert text[quote["start"] : quote["end"]] == quote["quote"]
    markdown = fake.uploads[next(f["id"] for f in files if f["title"].endswith("md"))].decode()
    assert "# vendorcheck evidence: is Kaspersky allowed on GSA?" in markdown


SEED_URL = (
    "https://www.crn.com/news/security/300088541/kaspersky-lab-faces-new-wave-of-allegations-"
    "about-russian-roots-could-be-blocked-from-federal-sales"
)


def share_links(bot, fake, user: str, *urls: str) -> dict:
    channel = unique("CLINK")
    event = {
        "type": "link_shared",
        "user": user,
        "channel": channel,
        "message_ts": "1700000600.000100",
        "links": [{"domain": "example", "url": url} for url in urls],
    }
    assert send_signed(bot.url, event_body(event), form=False)[0] == 200
    call = fake.wait_for(lambda c: c.method == "chat.unfurl" and c.body.get("channel") == channel)
    body = call[0].body
    unfurls = json.loads(body["unfurls"]) if isinstance(body["unfurls"], str) else body["unfurls"]
    for unfurl in unfurls.values():
        valid_blocks(unfurl["blocks"])
    return {"channel": channel, "ts": body["ts"], "unfurls": unfurls}


def test_corpus_links_unfurl_with_title_date_and_vendors_and_admins_may_add_others(bot, fake):
    tracked = SEED_URL + "?utm_source=newsletter"
    unknown = f"http://127.0.0.1:{free_port()}/not-in-the-corpus.html"
    seen = share_links(bot, fake, "U0READER", tracked, unknown)
    assert list(seen["unfurls"]) == [tracked]  # a non-admin's unknown link: left alone
    assert seen["ts"] == "1700000600.000100"
    text = all_text(seen["unfurls"][tracked])
    assert f"<{SEED_URL}|{SEED_TITLE}" in text
    assert "2017-07-11" in text and "about Kaspersky" in text

    by_admin = share_links(bot, fake, ADMIN, tracked, unknown)
    assert set(by_admin["unfurls"]) == {tracked, unknown}
    add = button(by_admin["unfurls"][unknown], "vc_add_article")
    assert add is not None and add["value"] == unknown

    for user, expected in (("U0READER", "only vendorcheck admins"), (ADMIN, "Could not add")):
        payload = action_payload("vc_add_article", unknown, "", user=user, ephemeral=False)
        payload.pop("response_url")
        assert send_signed(bot.url, action_body(payload))[0] == 200
        told = fake.wait_for(
            lambda c, u=user: c.method == "chat.postEphemeral" and c.body.get("user") == u
        )
        assert expected in all_text(told[0].body)
