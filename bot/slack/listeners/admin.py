"""`/vendorcheck add <url>` and `sync` (admins only), `watch` / `unwatch` / `watching` (anyone,
for the channel they type in). Registered as subcommands of the slash command (commands.py
dispatches on the first word); the fetching and indexing is bot/slack/freshness.py's, on its
own worker, and the result follows via response_url. Titles, publishers and error messages
come from fetched web pages: every one goes through bot/slack/mrkdwn.py.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any

from bot.runtime.live_index import LiveRetriever
from bot.slack.core import Subcommand
from bot.slack.freshness import Freshness
from bot.slack.mrkdwn import escape, link, mention, message, plain, urls_in
from index.config import EngineConfig
from index.errors import VendorcheckError
from index.ingest.fetch import FetchLimits
from index.ingest.refresh import FeedSummary, Outcome
from index.watch.watchlist import WatchlistError

log = logging.getLogger("vendorcheck.fresh")

MAX_URLS_PER_ADD = 5
VERBS = {
    "added": ":white_check_mark: Added",
    "updated": ":arrows_counterclockwise: Updated",
    "unchanged": ":white_check_mark: Already up to date:",
}


def outcome_line(outcome: Outcome) -> str:
    """One mrkdwn line per URL for the reply to `/vendorcheck add`."""
    article = outcome.article
    if outcome.status in VERBS and article is not None:
        facts = [escape(article.publisher), article.published_iso or "no date"]
        count = f"{outcome.passages} passage{'s' if outcome.passages != 1 else ''}"
        linked = link(article.url, article.title)
        return f"{VERBS[outcome.status]} *{linked}* — {', '.join(f for f in facts if f)} · {count}"
    if outcome.status == "exists":
        return f":information_source: {escape(outcome.url)} is {escape(outcome.message)}"
    return f":warning: Could not add {escape(outcome.url)}: {escape(outcome.message)}"


def feed_status(feed: FeedSummary) -> str:
    if feed.error:
        return feed.error
    if feed.not_modified:
        return "not modified"
    return f"{feed.new_entries} new entr{'y' if feed.new_entries == 1 else 'ies'}"


def sync_summary(fresh: Freshness) -> str:
    """Sync the feeds now; the reply: one line per feed, then per new article."""
    report = fresh.sync()
    lines = [f"• {escape(f.label)}: {escape(feed_status(f))}" for f in report.feeds]
    lines += [outcome_line(o) for o in report.outcomes if o.status != "filtered"]
    return "\n".join(lines) or "Nothing new."


def _ephemeral(ack_or_respond: Callable, text: str, **extra: Any) -> None:
    ack_or_respond(response_type="ephemeral", **extra, **message(text))


def _args(body: dict) -> str:
    parts = (body.get("text") or "").strip().split(None, 1)
    return parts[1] if len(parts) > 1 else ""


class AdminCommands:
    def __init__(self, fresh: Freshness, admins: frozenset[str]) -> None:
        self.fresh = fresh
        self.admins = admins

    def handlers(self) -> dict[str, Subcommand]:
        return {
            "add": self.on_add,
            "sync": self.on_sync,
            "watch": self.on_watch,
            "unwatch": self.on_unwatch,
            "watching": self.on_watching,
        }

    def _admin(self, ack: Callable, body: dict, what: str) -> bool:
        """True for an admin; anyone else is told who to ask (and the request is acked)."""
        if (body.get("user_id") or "") in self.admins:
            return True
        admins = sorted(self.admins)[:3]
        who = (
            " Ask " + " or ".join(mention(a) for a in admins) + " to add it."
            if admins
            else " No admins are configured (VENDORCHECK_ADMINS)."
        )
        _ephemeral(ack, f"Sorry, only vendorcheck admins can {what}.{who}")
        return False

    def _in_background(
        self, respond: Callable, name: str, work: Callable[[], str], prefix: str, failure: str
    ) -> None:
        """Run `work` on the freshness worker; its reply (or the error's) follows privately."""

        def run() -> None:
            try:
                text = work()
            except VendorcheckError as exc:
                text = f":warning: {prefix}{escape(str(exc))}"
            except Exception:
                log.exception("%s failed", name)
                text = f":warning: {failure}; see the bot's log."
            _ephemeral(respond, text, replace_original=False)

        self.fresh.submit(run)

    def on_add(self, ack: Callable, body: dict, respond: Callable) -> bool:
        rest = _args(body)
        urls = urls_in(rest)
        if rest and not urls:
            return False  # "add kaspersky to the allow-list?" is a question, not a command
        if not self._admin(ack, body, "add articles"):
            return True
        if not urls:
            _ephemeral(ack, "Usage: `/vendorcheck add <url>` (an http or https article link)")
            return True
        if len(urls) > MAX_URLS_PER_ADD:
            _ephemeral(ack, f"Please add at most {MAX_URLS_PER_ADD} URLs at a time.")
            return True
        shown = ", ".join(escape(u) for u in urls)
        _ephemeral(ack, f":hourglass_flowing_sand: Fetching {shown}…")
        log.info("add from %s: %d url(s)", body.get("user_id"), len(urls))

        def work() -> str:
            return "\n".join(outcome_line(o) for o in self.fresh.add(urls).outcomes)

        nothing = "Nothing was added: "
        self._in_background(respond, "add", work, nothing, nothing + "something went wrong")
        return True

    def on_sync(self, ack: Callable, body: dict, respond: Callable) -> bool:
        if _args(body):
            return False
        if not self._admin(ack, body, "sync feeds"):
            return True
        _ephemeral(ack, ":hourglass_flowing_sand: Syncing the feeds…")
        summary = partial(sync_summary, self.fresh)
        self._in_background(respond, "sync", summary, "", "The sync failed")
        return True

    def _change(self, ack: Callable, body: dict, watch: bool) -> bool:
        """`watch <vendor>` / `unwatch <vendor>` for the channel the command was typed in."""
        channel, user = body.get("channel_id") or "", body.get("user_id") or ""
        vendor = plain(_args(body))
        watchlist = self.fresh.watchlist
        try:
            if not vendor:
                raise WatchlistError(
                    "Usage: `/vendorcheck watch <vendor>`, e.g. `watch Kaspersky`"
                    if watch
                    else "Usage: `/vendorcheck unwatch <vendor>`"
                )
            if watch:
                changed = watchlist.watch(channel, vendor, user)
            else:
                changed = watchlist.unwatch(channel, vendor)
        except WatchlistError as exc:
            _ephemeral(ack, escape(str(exc)))
            return True
        name = escape(" ".join(vendor.split()))
        if not changed:
            state = "already watches" if watch else "was not watching"
            _ephemeral(ack, f"This channel {state} *{name}*.")
        elif watch:
            text = (
                f":eyes: <@{user}> set this channel to watch *{name}*: new articles that "
                f"mention it will be posted here. (`/vendorcheck unwatch {name}` to stop.)"
            )
            ack(response_type="in_channel", **message(text))
        else:
            text = f"<@{user}> stopped this channel watching *{name}*."
            ack(response_type="in_channel", **message(text))
        return True

    def on_watch(self, ack: Callable, body: dict, respond: Callable) -> bool:
        return self._change(ack, body, watch=True)

    def on_unwatch(self, ack: Callable, body: dict, respond: Callable) -> bool:
        return self._change(ack, body, watch=False)

    def on_watching(self, ack: Callable, body: dict, respond: Callable) -> bool:
        if _args(body):
            return False
        channel = body.get("channel_id") or ""
        vendors = self.fresh.watchlist.watching(channel).get(channel, [])
        if not vendors:
            text = "This channel watches no vendors. Start with `/vendorcheck watch <vendor>`."
        else:
            text = "This channel watches: " + ", ".join(f"*{escape(v)}*" for v in vendors)
        _ephemeral(ack, text)
        return True


def attach(
    runtime: Any,  # bot.slack.app.BotRuntime
    config: EngineConfig,
    *,
    admins: frozenset[str] | None = None,
    interval: float | None = None,
    limits: FetchLimits | None = None,
) -> Freshness:
    """Register the admin and watch subcommands on a running bot and start the feed schedule
    (`admins` and `interval` default to the bot's settings: VENDORCHECK_ADMINS and
    VENDORCHECK_SYNC_INTERVAL)."""
    bot, settings = runtime.bot, runtime.settings
    if not isinstance(bot.asker, LiveRetriever):  # new generations are served through it
        bot.asker = LiveRetriever(bot.asker, config.index_dir, config.model, 0)
    fresh = Freshness(config, bot.asker, runtime.app.client, limits)
    commands = AdminCommands(fresh, settings.admins if admins is None else admins)
    bot.subcommands.update(commands.handlers())
    bot.fresh = fresh  # the App Home tab reads its watchlist, config and sync runs
    fresh.start_schedule(settings.sync_seconds if interval is None else interval)
    return fresh
