"""Watch alerts in Slack: a short message in each channel watching a vendor a new article mentions.

Posting goes through a `slack_sdk.WebClient` passed in (the serving app's, or one built from
the settings' SLACK_BOT_TOKEN / SLACK_API_URL for CLI runs). Each (channel, article) is claimed
in the watchlist database before posting and released if posting fails, so an alert is sent
once. Article text comes from the web: it goes through bot/slack/mrkdwn.py like answers do.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field

from bot.slack.mrkdwn import MAX_FALLBACK_TEXT, context, escape, fit, link, section
from bot.slack.settings import SlackSettings
from index.articles import Article
from index.watch.watchlist import Match, Watchlist

log = logging.getLogger("vendorcheck.alerts")


def alert_message(match: Match) -> tuple[str, list[dict]]:
    """(fallback text, blocks) for one alert: vendor, title, date, link, key quote."""
    article = match.article
    vendor = escape(match.vendor)
    source = " · ".join(escape(p) for p in (article.publisher, article.published_iso) if p)
    header = f":mag: New article mentioning *{vendor}* (watched in this channel)"
    body = f"*{link(article.url, article.title)}*" + (f"\n{source}" if source else "")
    text = f"New article mentioning {match.vendor}: {article.title} {article.url}".strip()
    blocks: list[dict] = [section(header), section(body)]
    if match.quote:
        blocks.append(section(f"> {escape(match.quote)}"))
    blocks.append(context(f"Stop with `/vendorcheck unwatch {vendor}`"))
    return fit(escape(text), MAX_FALLBACK_TEXT), blocks


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
            error = str(exc.response.get("error", exc))
        except (SlackClientError, OSError) as exc:
            error = str(exc)
        else:
            report.sent.append(match)
            continue
        watchlist.release_alert(match)
        log.warning("alert to %s failed: %s", match.channel, error)
        report.failed.append((match, error))
    return report


def client_from_settings(settings: SlackSettings):  # type: ignore[no-untyped-def]
    """A WebClient for CLI runs (`vendorcheck add/sync`), or None without SLACK_BOT_TOKEN."""
    if not settings.bot_token:
        return None
    from slack_sdk import WebClient

    return WebClient(token=settings.bot_token, base_url=settings.api_url, timeout=10)
