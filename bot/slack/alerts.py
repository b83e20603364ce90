"""Watch alerts in Slack: a short message in each channel watching a vendor a new article mentions.

Posting goes through a `slack_sdk.WebClient` passed in (the serving app's, or one built from
SLACK_BOT_TOKEN / SLACK_API_URL for CLI runs). Each (channel, article) is claimed in the
watchlist database before posting and released if posting fails, so an alert is sent once.
"""

from __future__ import annotations

import logging
import os
from collections.abc import Iterable
from dataclasses import dataclass, field

from index.articles import Article
from index.watch.watchlist import Match, Watchlist

log = logging.getLogger("vendorcheck.alerts")


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def alert_message(match: Match) -> tuple[str, list[dict]]:
    """(fallback text, blocks) for one alert: vendor, title, date, link, key quote."""
    article = match.article
    title = _escape(article.title)
    linked = f"<{article.url}|{title}>" if article.url else title
    source = " · ".join(p for p in (_escape(article.publisher), article.published_iso) if p)
    header = f":mag: New article mentioning *{_escape(match.vendor)}* (watched in this channel)"
    body = f"*{linked}*" + (f"\n{source}" if source else "")
    quote = f"> {_escape(match.quote)}" if match.quote else ""
    text = f"New article mentioning {match.vendor}: {article.title} {article.url}".strip()
    blocks: list[dict] = [
        {"type": "section", "text": {"type": "mrkdwn", "text": header}},
        {"type": "section", "text": {"type": "mrkdwn", "text": body}},
    ]
    if quote:
        blocks.append({"type": "section", "text": {"type": "mrkdwn", "text": quote}})
    blocks.append(
        {
            "type": "context",
            "elements": [
                {
                    "type": "mrkdwn",
                    "text": f"Stop with `/vendorcheck unwatch {_escape(match.vendor)}`",
                }
            ],
        }
    )
    return text, blocks


@dataclass
class AlertReport:
    sent: list[Match] = field(default_factory=list)
    failed: list[tuple[Match, str]] = field(default_factory=list)


def post_alerts(client, watchlist: Watchlist, articles: Iterable[Article]) -> AlertReport:  # type: ignore[no-untyped-def]
    """Post one alert per (watching channel, new article mentioning a watched vendor)."""
    from slack_sdk.errors import SlackApiError, SlackClientError

    report = AlertReport()
    for match in watchlist.matches(articles):
        if not watchlist.claim_alert(match):
            continue
        text, blocks = alert_message(match)
        try:
            client.chat_postMessage(
                channel=match.channel, text=text, blocks=blocks, unfurl_links=False
            )
        except SlackApiError as exc:
            watchlist.release_alert(match)
            error = str(exc.response.get("error", exc))
            log.warning("alert to %s failed: %s", match.channel, error)
            report.failed.append((match, error))
            continue
        except (SlackClientError, OSError) as exc:
            watchlist.release_alert(match)
            log.warning("alert to %s failed: %s", match.channel, exc)
            report.failed.append((match, str(exc)))
            continue
        report.sent.append(match)
    return report


def client_from_env():  # type: ignore[no-untyped-def]
    """A WebClient for CLI runs (`vendorcheck add/sync`), or None without SLACK_BOT_TOKEN."""
    token = (os.environ.get("SLACK_BOT_TOKEN") or "").strip()
    if not token:
        return None
    from slack_sdk import WebClient

    base_url = (os.environ.get("SLACK_API_URL") or "https://slack.com/api/").strip()
    if not base_url.endswith("/"):
        base_url += "/"
    return WebClient(token=token, base_url=base_url, timeout=10)
