"""Alerts and admin replies render text fetched from the web (titles, publishers, quotes, feed
labels, fetch errors): all of it goes through the one escape in bot/slack/mrkdwn.py, like
answers do, so an article cannot ping a channel, mention someone or forge a link."""

from __future__ import annotations

import json
import re
from datetime import date

import pytest

from bot.slack.alerts import alert_message
from bot.slack.listeners.admin import AdminCommands, outcome_line
from bot.slack.mrkdwn import fit
from index.articles import Article
from index.ingest.refresh import FeedSummary, Outcome, RefreshReport
from index.watch.watchlist import Match, Watchlist

ADMIN = "U0ADMIN1"
HOSTILE = "<!channel> & <@U123> <http://evil.example|click here> @here"
HOSTILE_ARTICLE = Article(
    id="zyphronix-hostile",
    title=f"Zyphronix {HOSTILE} review",
    text="",
    url="https://evil.example/report?a=1&b=2|<!channel>",
    publisher="Evil <b>Wire</b> & Co <!here>",
    published=date(2024, 1, 2),
)
# Our own markup: links to http(s) URLs (built by mrkdwn.link), mentions of real user ids, the
# block quote's leading `> `.
OURS = re.compile(r"<https?://[^\s<>|]+\|[^<>]*>|<@" + ADMIN + r">|<@U0WATCHER>|^> ", re.M)


def assert_inert(mrkdwn: str) -> None:
    """Nothing from the article is markup: every `<`, `>` and `&` is ours or escaped."""
    rest = OURS.sub("", mrkdwn)
    assert "<" not in rest and ">" not in rest, mrkdwn
    assert not re.search(r"&(?!amp;|lt;|gt;)", rest), mrkdwn
    assert "<!channel>" not in mrkdwn and "<!here>" not in mrkdwn and "<@U123>" not in mrkdwn
    assert not re.search(r"@(channel|here|everyone)\b", mrkdwn), mrkdwn  # broken by a joiner


def all_mrkdwn(message: dict) -> list[str]:
    texts = [message.get("text") or ""]
    for block in message.get("blocks") or []:
        if block.get("type") == "section":
            texts.append(block["text"]["text"])
        texts += [e["text"] for e in block.get("elements", []) if e.get("type") == "mrkdwn"]
    return texts


def test_alert_escapes_article_title_publisher_url_and_quote():
    match = Match("C0WATCH", "Zyphronix", HOSTILE_ARTICLE, f"Zyphronix was banned {HOSTILE}")
    text, blocks = alert_message(match)
    for piece in all_mrkdwn({"text": text, "blocks": blocks}):
        assert_inert(piece)
    blob = json.dumps(blocks)
    assert "&lt;!channel&gt;" in blob and "&amp;" in blob  # escaped, not dropped
    assert "https://evil.example/report?a=1&amp;b=2%7C%3C!channel%3E|" in blob  # the link


def test_alert_with_a_non_http_url_links_nothing():
    article = Article(id="x", title="Zyphronix <!channel>", text="", url="javascript:alert(1)")
    text, blocks = alert_message(Match("C0WATCH", "Zyphronix", article, ""))
    assert "javascript:" not in json.dumps(blocks)
    for piece in all_mrkdwn({"text": text, "blocks": blocks}):
        assert_inert(piece)


def test_add_reply_escapes_what_the_fetched_page_said():
    lines = [
        outcome_line(Outcome("https://evil.example/a", "added", article=HOSTILE_ARTICLE)),
        outcome_line(Outcome(f"https://evil.example/<!channel>&{HOSTILE}", "failed", HOSTILE)),
        outcome_line(
            Outcome("https://evil.example/b", "exists", f"already in the corpus {HOSTILE}")
        ),
    ]
    for line in lines:
        assert_inert(line)
    assert "&lt;!channel&gt;" in lines[0] and "Evil &lt;b&gt;Wire&lt;/b&gt; &amp; Co" in lines[0]


class FakeFreshness:
    """What AdminCommands uses of bot/slack/freshness.py's Freshness, without fetching."""

    def __init__(self, watchlist: Watchlist, report: RefreshReport) -> None:
        self.watchlist = watchlist
        self.report = report

    def submit(self, work):  # type: ignore[no-untyped-def]
        work()  # at once, so the reply is there when the handler returns

    def add(self, urls: list[str]) -> RefreshReport:
        return self.report

    def sync(self) -> RefreshReport:
        return self.report


@pytest.fixture
def admin(tmp_path):
    report = RefreshReport(
        outcomes=[
            Outcome("https://evil.example/a", "added", article=HOSTILE_ARTICLE, passages=2),
            Outcome("https://evil.example/c", "failed", f"HTTP 500 {HOSTILE}"),
        ],
        feeds=[FeedSummary(label=f"Feed {HOSTILE}", error=f"not a feed: <rss> {HOSTILE}")],
    )
    watchlist = Watchlist(tmp_path)
    yield AdminCommands(FakeFreshness(watchlist, report), frozenset({ADMIN}))
    watchlist.close()


def command(handler, text: str, user: str = ADMIN) -> list[dict]:  # type: ignore[no-untyped-def]
    """Run one subcommand handler; every message it acked or responded with."""
    sent: list[dict] = []
    body = {"text": text, "user_id": user, "channel_id": "C0WATCH"}
    assert handler(lambda **m: sent.append(m), body, lambda **m: sent.append(m)) is True
    return sent


def test_admin_add_and_sync_replies_escape_article_and_feed_text(admin):
    added = command(admin.on_add, "add <https://evil.example/a>")
    synced = command(admin.on_sync, "sync")
    assert len(added) == 2 and len(synced) == 2  # the ack, then the result
    for message in added + synced:
        for piece in all_mrkdwn(message):
            assert_inert(piece)
    assert "Evil &lt;b&gt;Wire&lt;/b&gt; &amp; Co" in added[1]["text"]
    assert "Feed &lt;!channel&gt; &amp;" in synced[1]["text"]


def test_watch_replies_escape_the_vendor_name(admin):
    name = "Acme &lt;!channel&gt; &amp; Co"  # as Slack sends `Acme <!channel> & Co`
    replies = command(admin.on_watch, f"watch {name}", user="U0WATCHER")
    replies += command(admin.on_watching, "watching")
    replies += command(admin.on_unwatch, f"unwatch {name}", user="U0WATCHER")
    replies += command(admin.on_watch, "watch <@U123>")
    assert [r["response_type"] for r in replies[:3]] == ["in_channel", "ephemeral", "in_channel"]
    for message in replies:
        for piece in all_mrkdwn(message):
            assert_inert(piece)
    assert "*Acme &lt;!channel&gt; &amp; Co*" in replies[1]["text"]


def test_fit_never_leaves_half_an_entity_or_link():
    assert fit("a &amp; b", 4) == "a "
    assert fit("see <https://a.example|a> now", 12) == "see "
