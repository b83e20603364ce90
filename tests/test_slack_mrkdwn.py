"""Alerts render text fetched from the web (titles, publishers, quotes): all of it goes through
the one escape in bot/slack/mrkdwn.py, like answers do, so an article cannot ping a channel,
mention someone or forge a link."""

from __future__ import annotations

import json
import re
from datetime import date

from bot.slack.alerts import alert_message
from bot.slack.mrkdwn import fit
from index.articles import Article
from index.watch.watchlist import Match

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


def test_fit_never_leaves_half_an_entity_or_link():
    assert fit("a &amp; b", 4) == "a "
    assert fit("see <https://a.example|a> now", 12) == "see "
