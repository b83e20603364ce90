"""Watch alerts in Slack: a short message in each channel watching a vendor that a new article
mentions, or that a list sync added to or removed from an official list.

Posting goes through a `slack_sdk.WebClient` passed in (the serving app's, or one built from
the settings' SLACK_BOT_TOKEN / SLACK_API_URL for CLI runs). Each (channel, article) and each
(channel, list, listed name, added/removed) is claimed in the watchlist database before posting
and released if posting fails, so an alert is sent once. Article text comes from the web and
list text from downloaded files: both go through bot/slack/mrkdwn.py like answers do.
"""

from __future__ import annotations

import logging
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Generic, TypeVar

from bot.slack.mrkdwn import MAX_FALLBACK_TEXT, clean, context, escape, fit, link, section
from bot.slack.settings import SlackSettings
from index.articles import Article
from index.lists import ListSnapshot, SyncReport
from index.watch.list_changes import ADDED, ListChangeMatch, changes_of, match_changes
from index.watch.watchlist import Match, Watchlist

log = logging.getLogger("vendorcheck.alerts")
T = TypeVar("T")


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


def _list_facts(match: ListChangeMatch) -> str:
    """ "Listed since 2019-10-09 · 84 FR 54002 · <link|source>", all from the list data."""
    entry = match.change.entry
    since = escape(clean(entry.start_date or ""))
    if match.change.kind == ADDED:
        facts = [f"Listed since {since}" if since else "No listing date given"]
    else:
        facts = [f"Had been listed since {since}" if since else "No listing date was given"]
    if entry.end_date:
        facts.append(f"until {escape(clean(entry.end_date))}")
    if entry.citation:
        facts.append(escape(clean(entry.citation)))
    url = entry.source_information_url or entry.source_list_url
    if url:
        facts.append(link(url, "source"))
    return " · ".join(facts)


def list_alert_message(match: ListChangeMatch) -> tuple[str, list[dict]]:
    """(fallback text, blocks) for a list change: listed name, list, added/removed, since
    date, citation, link, and the watched vendor it matched."""
    change, entry = match.change, match.change.entry
    name, listed = escape(clean(entry.name)), escape(clean(entry.list_name))
    vendor = escape(clean(match.vendor))
    if change.kind == ADDED:
        header = f":rotating_light: *{name}* was added to *{listed}*"
    else:
        header = f":information_source: *{name}* was removed from *{listed}*"
    why = f"Matches *{vendor}*, watched in this channel"
    if match.how == "fuzzy":
        matched = escape(clean(match.matched_name))
        why += f" (name match “{matched}”, {round(100 * match.confidence)}% confidence)"
    seen = escape(clean(change.seen[:10]))
    note = f"Seen in the list sync of {seen} · " if seen else ""
    blocks = [
        section(header),
        section(f"{_list_facts(match)}\n{why}"),
        context(f"{note}Stop with `/vendorcheck unwatch {vendor}`"),
    ]
    since = f" (listed since {entry.start_date})" if entry.start_date else ""
    verb = "added to" if change.kind == ADDED else "removed from"
    text = f"{match.vendor}: {entry.name} {verb} {entry.list_name}{since}"
    return fit(escape(clean(text)), MAX_FALLBACK_TEXT), blocks


@dataclass
class AlertReport(Generic[T]):
    sent: list[T] = field(default_factory=list)
    failed: list[tuple[T, str]] = field(default_factory=list)


def post_alerts(client, watchlist: Watchlist, articles: Iterable[Article]) -> AlertReport[Match]:  # type: ignore[no-untyped-def]
    """Post one alert per (watching channel, new article mentioning a watched vendor)."""
    report: AlertReport[Match] = AlertReport()
    for match in watchlist.matches(articles):
        if not watchlist.claim_alert(match):
            continue
        error = send(client, match.channel, *alert_message(match))
        if error is None:
            report.sent.append(match)
            continue
        watchlist.release_alert(match)
        log.warning("alert to %s failed: %s", match.channel, error)
        report.failed.append((match, error))
    return report


def post_list_alerts(  # type: ignore[no-untyped-def]
    client, watchlist: Watchlist, report: SyncReport, snapshot: ListSnapshot | None = None
) -> AlertReport[ListChangeMatch]:
    """Post one alert per (watching channel, watched vendor's list change) of a list sync, at
    most once ever per (channel, list, listed name, added/removed). `snapshot`: the lists now
    in use (token weights for matching)."""
    alerts: AlertReport[ListChangeMatch] = AlertReport()
    changes = changes_of(report)
    watches = watchlist.watching() if changes else {}
    for match in match_changes(watches, changes, snapshot):
        if not watchlist.claim_list_alert(match.key, match.vendor):
            continue
        error = send(client, match.channel, *list_alert_message(match))
        if error is None:
            alerts.sent.append(match)
            continue
        watchlist.release_list_alert(match.key)
        log.warning("list alert to %s failed: %s", match.channel, error)
        alerts.failed.append((match, error))
    return alerts


def send(client, channel: str, text: str, blocks: list[dict]) -> str | None:  # type: ignore[no-untyped-def]
    """Post one message; None when Slack took it, else the error (never raises for Slack)."""
    from slack_sdk.errors import SlackApiError, SlackClientError

    try:
        client.chat_postMessage(channel=channel, text=text, blocks=blocks, unfurl_links=False)
    except SlackApiError as exc:
        return str(exc.response.get("error", exc))
    except (SlackClientError, OSError) as exc:
        return str(exc)
    return None


def client_from_settings(settings: SlackSettings):  # type: ignore[no-untyped-def]
    """A WebClient for CLI runs (`vendorcheck add/sync`), or None without SLACK_BOT_TOKEN."""
    if not settings.bot_token:
        return None
    from slack_sdk import WebClient

    return WebClient(token=settings.bot_token, base_url=settings.api_url, timeout=10)
