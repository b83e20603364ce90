"""Freshness through the real Bolt app: admin `/vendorcheck add <url>`, watch commands, alerts,
and the scheduled feed sync — signed requests over loopback, a fake Slack Web API, and a local
website. Loopback is fetchable only because tests set VENDORCHECK_ALLOW_PRIVATE_URLS=1."""

from __future__ import annotations

import json
import signal
import time
from pathlib import Path

import pytest
from conftest import SEED_SHORT, root_config, seed_corpus
from fresh_server import Site, article_html, rss
from slack_fakes import FakeSlack, send_signed, slack_env, slash_body
from slack_harness import BotServer, make_settings, start_serve

from bot.runtime.live_index import LiveRetriever
from bot.slack.listeners.admin import attach
from bot.slack.mrkdwn import urls_in
from bot.slack.settings import parse_interval
from index.engine import build, open_retriever
from index.errors import VendorcheckError

ADMIN = "U0ADMIN1"
VELKOR = [
    "The Treasury Department added Velkor Systems to its sanctions list on Thursday, barring "
    "federal agencies from buying the company's surveillance cameras and video recorders.",
    "Agencies that already run Velkor cameras were told to disconnect them from federal "
    "networks within ninety days and to report every remaining unit to their security office.",
]


def _story(vendor: str) -> list[str]:
    return [
        f"{vendor} is under review after regulators questioned its supply chain, according to "
        "people familiar with the matter who asked not to be named in this report.",
        f"Several agencies said they would stop new purchases from {vendor} until the review "
        "ends, and contractors were asked to list every product from the company in use.",
    ]


@pytest.fixture(scope="module")
def site():
    server = Site().start()
    server.add(
        "/news/velkor.html",
        article_html(
            "Treasury sanctions Velkor Systems camera maker",
            VELKOR,
            site_name="Federal Wire",
            published="2024-09-12T10:00:00Z",
        ),
    )
    for vendor in ("Brinmark", "Quellar", "Ostrava"):
        server.add(
            f"/feeds/{vendor.lower()}.html",
            article_html(
                f"{vendor} faces federal review",
                _story(vendor),
                site_name="Feed Daily",
                published="2024-10-02T09:00:00Z",
            ),
        )
    yield server
    server.stop()


@pytest.fixture(scope="module")
def stack(tmp_path_factory, model_cache, embedder, fake):
    root: Path = tmp_path_factory.mktemp("fresh-slack")
    config = root_config(root, seed_corpus(root), model_cache)
    build(config)
    asker = LiveRetriever(open_retriever(config, embedder), config.index_dir, config.model, 0)
    server = BotServer(make_settings(fake), asker, config.data_dir).start()
    fresh = attach(server.runtime, config, admins=frozenset({ADMIN}), interval=0)
    yield config, server, fresh
    server.stop()
    fresh.close()


def slash(server: BotServer, fake: FakeSlack, text: str, user: str = "U0USER1", channel=""):
    name = f"r{time.time_ns()}"
    body = slash_body(text, fake.response_url(name), user)
    if channel:
        body = body.replace("channel_id=C0CHAN1", f"channel_id={channel}")
    status, reply, _ = send_signed(server.url, body)
    assert status == 200
    return (json.loads(reply) if reply else {}), name


def texts(call) -> str:
    return json.dumps(call.body.get("blocks") or []) + call.body.get("text", "")


def test_non_admin_add_is_refused_politely_and_fetches_nothing(stack, fake, site):
    _config, server, _fresh = stack
    ack, _ = slash(server, fake, f"add <{site.url('/news/velkor.html')}>", user="U0RANDOM")
    assert ack["response_type"] == "ephemeral"
    assert "only vendorcheck admins can add articles" in ack["text"]
    assert f"<@{ADMIN}>" in ack["text"]
    assert site.hits("/news/velkor.html") == []


def test_admin_add_of_a_private_address_is_refused(stack, fake, site, monkeypatch):
    config, server, _fresh = stack
    monkeypatch.delenv("VENDORCHECK_ALLOW_PRIVATE_URLS", raising=False)
    for url in (site.url("/news/velkor.html"), "http://169.254.169.254/latest/meta-data/"):
        ack, name = slash(server, fake, f"add <{url}>", user=ADMIN)
        assert "Fetching" in ack["text"]
        reply = fake.wait_for(fake.to_response(name))[0].body
        assert "Could not add" in reply["text"]
        assert "private, loopback or otherwise internal address" in reply["text"]
    assert site.hits("/news/velkor.html") == []
    assert not (config.corpus_dir / "web").exists()


def test_admin_add_replies_with_title_date_passages_and_is_answerable(
    stack, fake, site, monkeypatch
):
    _config, server, _fresh = stack
    monkeypatch.setenv("VENDORCHECK_ALLOW_PRIVATE_URLS", "1")
    url = site.url("/news/velkor.html")
    ack, name = slash(server, fake, f"add <{url}?utm_source=slack|velkor>", user=ADMIN)
    assert ack["response_type"] == "ephemeral"
    reply = fake.wait_for(fake.to_response(name), timeout=120)[0].body
    text = reply["text"]
    assert "Added" in text and "Treasury sanctions Velkor Systems camera maker" in text
    assert "Federal Wire, 2024-09-12" in text
    assert "passage" in text and "· 0 passages" not in text

    # The running bot answers from the new generation right away.
    _, asked = slash(server, fake, "are Velkor cameras allowed on federal networks?")
    answer = fake.wait_for(fake.to_response(asked), timeout=60)[0].body
    assert url in json.dumps(answer["blocks"])

    _, again = slash(server, fake, f"add {url}", user=ADMIN)
    assert (
        "Already up to date" in fake.wait_for(fake.to_response(again), timeout=60)[0].body["text"]
    )


def test_a_question_starting_with_add_is_still_answered(stack, fake):
    _config, server, _fresh = stack
    ack, name = slash(server, fake, "add Zentara modems to the allow list?", user="U0RANDOM")
    assert ack == {}  # acked empty like any question
    answer = fake.wait_for(fake.to_response(name), timeout=60)[0].body
    assert "Zentara" in json.dumps(answer["blocks"])


def test_watch_unwatch_watching(stack, fake):
    _config, server, _fresh = stack
    ack, _ = slash(server, fake, "watch Ostrava", channel="C0WATCH1")
    assert ack["response_type"] == "in_channel" and "watch *Ostrava*" in ack["text"]
    ack, _ = slash(server, fake, "watch ostrava", channel="C0WATCH1")
    assert "already watches" in ack["text"] and ack["response_type"] == "ephemeral"
    ack, _ = slash(server, fake, "watching", channel="C0WATCH1")
    assert "*Ostrava*" in ack["text"]
    ack, _ = slash(server, fake, "unwatch OSTRAVA", channel="C0WATCH1")
    assert "stopped" in ack["text"]
    ack, _ = slash(server, fake, "watching", channel="C0WATCH1")
    assert "watches no vendors" in ack["text"]
    ack, _ = slash(server, fake, "watch", channel="C0WATCH1")
    assert "Usage" in ack["text"]


def test_new_feed_entry_alerts_the_watching_channel_once(stack, fake, site, monkeypatch):
    config, server, fresh = stack
    monkeypatch.setenv("VENDORCHECK_ALLOW_PRIVATE_URLS", "1")
    slash(server, fake, "watch Quellar", channel="C0QUELLAR")
    feed = [
        {
            "title": "Brinmark faces federal review",
            "link": site.url("/feeds/brinmark.html"),
            "date": "Tue, 01 Oct 2024 08:00:00 GMT",
        }
    ]
    site.add(
        "/rss.xml", rss("Feed Daily", feed), content_type="application/rss+xml", conditional=True
    )
    (config.corpus_dir / "feeds.yml").write_text(
        f"feeds:\n  - url: {site.url('/rss.xml')}\n    name: Feed Daily\n", encoding="utf-8"
    )
    fresh.start_schedule(0.5, first_delay=0.1)  # what `serve` does with VENDORCHECK_SYNC_INTERVAL
    deadline = time.monotonic() + 60
    while not site.hits("/feeds/brinmark.html") and time.monotonic() < deadline:
        time.sleep(0.1)
    assert site.hits("/feeds/brinmark.html")

    feed.append(
        {
            "title": "Quellar faces federal review",
            "link": site.url("/feeds/quellar.html"),
            "date": "Wed, 02 Oct 2024 08:00:00 GMT",
        }
    )
    site.add(
        "/rss.xml", rss("Feed Daily", feed), content_type="application/rss+xml", conditional=True
    )
    to_channel = lambda c: c.method == "chat.postMessage" and c.body.get("channel") == "C0QUELLAR"  # noqa: E731
    [alert] = fake.wait_for(to_channel, timeout=120)
    assert "Quellar faces federal review" in texts(alert)
    assert "Quellar is under review" in texts(alert)  # the key quote
    assert site.url("/feeds/quellar.html") in texts(alert)

    # Several more syncs (conditional requests, 304s) later: still exactly one alert.
    polls = len(site.hits("/rss.xml"))
    while len(site.hits("/rss.xml")) < polls + 3 and time.monotonic() < deadline + 60:
        time.sleep(0.1)
    assert site.hits("/rss.xml")[-1].status == 304
    assert len([c for c in fake.calls if to_channel(c)]) == 1
    # and the bot answers from the synced article
    _, asked = slash(server, fake, "Quellar supply chain review")
    answer = fake.wait_for(fake.to_response(asked), timeout=60)[0].body
    assert "Quellar faces federal review" in json.dumps(answer["blocks"])


def test_slack_text_parsing_and_interval():
    assert urls_in("<https://a.example/x?a=1&amp;b=2|a.example/x> and https://b.example/y") == [
        "https://a.example/x?a=1&b=2",
        "https://b.example/y",
    ]
    assert parse_interval("15m") == 900 and parse_interval("") == 0 and parse_interval("90") == 90
    with pytest.raises(VendorcheckError):
        parse_interval("soon")


def test_serve_syncs_on_schedule_alerts_and_answers_from_the_new_index(
    tmp_path, model_cache, fake, site
):
    """`vendorcheck serve` as deployed: VENDORCHECK_SYNC_INTERVAL drives the feed sync."""
    corpus = seed_corpus(tmp_path, SEED_SHORT, url=False)
    feed = [
        {"title": "Ostrava", "link": site.url("/feeds/ostrava.html"), "date": "Tue, 01 Oct 2024"}
    ]
    site.add("/serve.xml", rss("Serve", feed), content_type="application/rss+xml", conditional=True)
    (corpus / "feeds.yml").write_text(f"feeds:\n  - url: {site.url('/serve.xml')}\n")
    config = root_config(tmp_path, corpus, model_cache)
    build(config)
    from index.watch.watchlist import Watchlist

    watchlist = Watchlist(config.data_dir)
    watchlist.watch("C0SERVE", "Ostrava")
    watchlist.close()
    env = slack_env(
        fake,
        VENDORCHECK_SYNC_INTERVAL="1",
        VENDORCHECK_ALLOW_PRIVATE_URLS="1",
        VENDORCHECK_ADMINS=ADMIN,
    )
    process, url = start_serve(config, env)
    try:
        to_channel = lambda c: c.method == "chat.postMessage" and c.body.get("channel") == "C0SERVE"  # noqa: E731
        [alert] = fake.wait_for(to_channel, timeout=120)
        assert "Ostrava faces federal review" in texts(alert)
        name = f"serve{time.time_ns()}"
        body = slash_body("Ostrava supply chain review", fake.response_url(name))
        status, _, _ = send_signed(url, body)
        assert status == 200
        answer = fake.wait_for(fake.to_response(name), timeout=60)[0].body
        assert "Ostrava faces federal review" in json.dumps(answer["blocks"])
    finally:
        process.send_signal(signal.SIGTERM)
        _out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert len([c for c in fake.calls if to_channel(c)]) == 1
