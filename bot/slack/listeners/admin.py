"""Freshness in Slack: `/vendorcheck add <url>` (admins), `watch` / `unwatch` / `watching`,
`sync` (admins), watch alerts, and the scheduled feed sync of `vendorcheck serve`.

Adds and syncs run one at a time on their own worker thread, never on the answer workers, so
questions keep being answered while articles are fetched and indexed. When a new index
generation is published, the bot switches to it in one assignment (a Retriever over the new,
complete generation, sharing the loaded model); answers in flight finish on the old one.
"""

from __future__ import annotations

import html
import logging
import os
import re
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from bot.slack.alerts import post_alerts
from index.config import EngineConfig
from index.errors import VendorcheckError
from index.ingest.fetch import FetchLimits
from index.ingest.refresh import FeedSummary, Outcome, RefreshReport, add_urls, sync_feeds
from index.watch.watchlist import Watchlist, WatchlistError

log = logging.getLogger("vendorcheck.fresh")

MAX_URLS_PER_ADD = 5
_SLACK_LINK = re.compile(r"<(https?://[^|>\s]+)(?:\|[^>]*)?>", re.I)
_BARE_URL = re.compile(r"(?<![<|])\bhttps?://[^\s<>|]+", re.I)
_INTERVAL = re.compile(r"^\s*(\d+(?:\.\d+)?)\s*([smhd]?)\s*$", re.I)
Handler = Callable[[Callable, dict, Callable], bool]  # False: not ours, answer it as a question


def parse_admins(raw: str | None) -> frozenset[str]:
    return frozenset(part for part in re.split(r"[\s,]+", raw or "") if part)


def parse_interval(raw: str | None) -> float:
    """VENDORCHECK_SYNC_INTERVAL: seconds, or with an s/m/h/d suffix. Empty or 0: off."""
    if not raw or not raw.strip():
        return 0.0
    match = _INTERVAL.match(raw)
    if not match:
        raise VendorcheckError(
            f"VENDORCHECK_SYNC_INTERVAL={raw!r} is not a duration (e.g. 900, 15m, 1h)"
        )
    seconds = (
        float(match.group(1))
        * {"": 1, "s": 1, "m": 60, "h": 3600, "d": 86400}[match.group(2).lower()]
    )
    if 0 < seconds < 1:
        raise VendorcheckError("VENDORCHECK_SYNC_INTERVAL must be at least 1 second")
    return seconds


def urls_in(text: str) -> list[str]:
    """URLs in a slash command's text: Slack sends them as <url> or <url|label>."""
    found = [html.unescape(m.group(1)) for m in _SLACK_LINK.finditer(text)]
    rest = _SLACK_LINK.sub(" ", text)
    found += [html.unescape(m.group(0)) for m in _BARE_URL.finditer(rest)]
    return list(dict.fromkeys(found))


def _plain(text: str) -> str:
    return html.unescape(text or "").strip()


def _escape(text: str) -> str:
    return text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")


def outcome_line(outcome: Outcome) -> str:
    """One mrkdwn line per URL for the reply to `/vendorcheck add`."""
    article = outcome.article
    if outcome.status in ("added", "updated", "unchanged") and article is not None:
        title = _escape(article.title)
        linked = f"<{article.url}|{title}>" if article.url else title
        facts = [_escape(article.publisher), article.published_iso or "no date"]
        count = f"{outcome.passages} passage{'s' if outcome.passages != 1 else ''}"
        verb = {
            "added": ":white_check_mark: Added",
            "updated": ":arrows_counterclockwise: Updated",
            "unchanged": ":white_check_mark: Already up to date:",
        }[outcome.status]
        return f"{verb} *{linked}* — {', '.join(f for f in facts if f)} · {count}"
    if outcome.status == "exists":
        return f":information_source: {_escape(outcome.url)} is {_escape(outcome.message)}"
    return f":warning: Could not add {_escape(outcome.url)}: {_escape(outcome.message)}"


def reply(text: str) -> dict[str, Any]:
    return {"text": text, "blocks": [{"type": "section", "text": {"type": "mrkdwn", "text": text}}]}


class Freshness:
    """Slack-side freshness features for one running bot."""

    def __init__(
        self,
        config: EngineConfig,
        bot: Any,  # bot.slack.app.VendorcheckBot: its `asker` is swapped after each new generation
        client: Any,  # slack_sdk.WebClient for alerts
        admins: frozenset[str],
        limits: FetchLimits | None = None,
    ) -> None:
        self.config = config
        self.bot = bot
        self.client = client
        self.admins = admins
        self.limits = limits
        self.watchlist = Watchlist(config.data_dir)
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vendorcheck-fresh")
        self._stop = threading.Event()
        self._scheduler: threading.Thread | None = None
        self._pending_sync = threading.Lock()

    # -- wiring -----------------------------------------------------------------------------

    def commands(self) -> dict[str, Handler]:
        return {
            "add": self.on_add,
            "sync": self.on_sync,
            "watch": self.on_watch,
            "unwatch": self.on_unwatch,
            "watching": self.on_watching,
        }

    def close(self) -> None:
        self._stop.set()
        self._worker.shutdown(wait=True, cancel_futures=True)
        if self._scheduler is not None:
            self._scheduler.join(timeout=5)
        self.watchlist.close()

    # -- the engine side: refresh, reload, alert --------------------------------------------

    def _embedder(self) -> Any:
        """The serving model, so add/sync builds don't load a second copy of it."""
        asker = self.bot.asker
        inner = getattr(asker, "_retriever", None)  # bot.runtime.live_index.LiveRetriever wraps one
        return getattr(asker, "embedder", None) or getattr(inner, "embedder", None)

    def reload(self) -> None:
        """Serve the newest complete generation (one atomic swap of the bot's retriever)."""
        from index.search.embedding import model_id_for
        from index.search.retriever import Retriever
        from index.store.reader import open_index

        current = self.bot.asker
        check = getattr(current, "check", None)
        if callable(check):  # bot.runtime.live_index.LiveRetriever swaps itself
            check()
            return
        embedder = self._embedder()
        if embedder is None:
            log.warning("cannot reload the index: the bot's asker has no embedder")
            return
        stored = open_index(self.config.index_dir, model_id_for(self.config.model))
        if getattr(getattr(current, "index", None), "generation", None) == stored.generation:
            return
        self.bot.asker = Retriever(stored, embedder)
        log.info(
            "now answering from %s (%d articles)", stored.generation.name, len(stored.articles)
        )

    def after(self, report: RefreshReport) -> None:
        if report.build is not None and report.build.wrote_new_generation:
            self.reload()
        if report.new_articles:
            alerts = post_alerts(self.client, self.watchlist, report.new_articles)
            for match in alerts.sent:
                log.info("alert: %s in %s", match.vendor, match.channel)

    def add(self, urls: list[str]) -> RefreshReport:
        report = add_urls(self.config, urls, self.limits, embedder=self._embedder())
        self.after(report)
        return report

    def sync(self) -> RefreshReport:
        report = sync_feeds(self.config, self.limits, embedder=self._embedder(), cancel=self._stop)
        self.after(report)
        added = len(report.new_articles)
        log.info("feed sync: %d feed(s), %d new article(s)", len(report.feeds), added)
        return report

    # -- schedule -----------------------------------------------------------------------------

    def start_schedule(self, interval: float, first_delay: float | None = None) -> None:
        """Sync every `interval` seconds on the worker (skipped while one is still running)."""
        if interval <= 0:
            return

        def loop() -> None:
            delay = min(interval, 10.0) if first_delay is None else first_delay
            while not self._stop.wait(delay):
                delay = interval
                if self._pending_sync.acquire(blocking=False):
                    try:
                        self._worker.submit(self._scheduled_sync)
                    except RuntimeError:  # shutting down
                        self._pending_sync.release()
                        return

        self._scheduler = threading.Thread(target=loop, name="vendorcheck-sync", daemon=True)
        self._scheduler.start()
        log.info("feeds will be synced every %g s", interval)

    def _scheduled_sync(self) -> None:
        try:
            self.sync()
        except VendorcheckError as exc:
            log.warning("feed sync: %s", exc)
        except Exception:
            log.exception("feed sync failed")
        finally:
            self._pending_sync.release()

    # -- slash subcommands ----------------------------------------------------------------------

    def _refuse(self, ack: Callable, what: str) -> None:
        admins = sorted(self.admins)[:3]
        who = (
            " Ask " + " or ".join(f"<@{a}>" for a in admins) + " to add it."
            if admins
            else " No admins are configured (VENDORCHECK_ADMINS)."
        )
        ack(
            response_type="ephemeral",
            **reply(f"Sorry, only vendorcheck admins can {what}.{who}"),
        )

    def _args(self, body: dict) -> str:
        parts = (body.get("text") or "").strip().split(None, 1)
        return parts[1] if len(parts) > 1 else ""

    def on_add(self, ack: Callable, body: dict, respond: Callable) -> bool:
        rest = self._args(body)
        urls = urls_in(rest)
        if rest and not urls:
            return False  # "add kaspersky to the allow-list?" is a question, not a command
        if (body.get("user_id") or "") not in self.admins:
            self._refuse(ack, "add articles")
            return True
        if not urls:
            ack(
                response_type="ephemeral",
                **reply("Usage: `/vendorcheck add <url>` (an http or https article link)"),
            )
            return True
        if len(urls) > MAX_URLS_PER_ADD:
            ack(
                response_type="ephemeral",
                **reply(f"Please add at most {MAX_URLS_PER_ADD} URLs at a time."),
            )
            return True
        shown = ", ".join(_escape(u) for u in urls)
        ack(response_type="ephemeral", **reply(f":hourglass_flowing_sand: Fetching {shown}…"))
        log.info("add from %s: %d url(s)", body.get("user_id"), len(urls))

        def work() -> None:
            try:
                report = self.add(urls)
                lines = [outcome_line(o) for o in report.outcomes]
            except VendorcheckError as exc:
                lines = [f":warning: Nothing was added: {_escape(str(exc))}"]
            except Exception:
                log.exception("add failed")
                lines = [":warning: Nothing was added: something went wrong; see the bot's log."]
            respond(response_type="ephemeral", replace_original=False, **reply("\n".join(lines)))

        self._worker.submit(work)
        return True

    def on_sync(self, ack: Callable, body: dict, respond: Callable) -> bool:
        if self._args(body):
            return False
        if (body.get("user_id") or "") not in self.admins:
            self._refuse(ack, "sync feeds")
            return True
        ack(response_type="ephemeral", **reply(":hourglass_flowing_sand: Syncing the feeds…"))

        def work() -> None:
            try:
                report = self.sync()
                lines = [f"• {_escape(f.label)}: {_escape(feed_status(f))}" for f in report.feeds]
                lines += [outcome_line(o) for o in report.outcomes if o.status != "filtered"]
                text = "\n".join(lines) or "Nothing new."
            except VendorcheckError as exc:
                text = f":warning: {_escape(str(exc))}"
            except Exception:
                log.exception("sync failed")
                text = ":warning: The sync failed; see the bot's log."
            respond(response_type="ephemeral", replace_original=False, **reply(text))

        self._worker.submit(work)
        return True

    def on_watch(self, ack: Callable, body: dict, respond: Callable) -> bool:
        channel, user = body.get("channel_id") or "", body.get("user_id") or ""
        vendor = _plain(self._args(body))
        try:
            if not vendor:
                raise WatchlistError("Usage: `/vendorcheck watch <vendor>`, e.g. `watch Kaspersky`")
            new = self.watchlist.watch(channel, vendor, user)
        except WatchlistError as exc:
            ack(response_type="ephemeral", **reply(_escape(str(exc))))
            return True
        name = _escape(" ".join(vendor.split()))
        if not new:
            ack(response_type="ephemeral", **reply(f"This channel already watches *{name}*."))
            return True
        ack(
            response_type="in_channel",
            **reply(
                f":eyes: <@{user}> set this channel to watch *{name}*: new articles that "
                f"mention it will be posted here. (`/vendorcheck unwatch {name}` to stop.)"
            ),
        )
        return True

    def on_unwatch(self, ack: Callable, body: dict, respond: Callable) -> bool:
        channel, user = body.get("channel_id") or "", body.get("user_id") or ""
        vendor = _plain(self._args(body))
        try:
            if not vendor:
                raise WatchlistError("Usage: `/vendorcheck unwatch <vendor>`")
            gone = self.watchlist.unwatch(channel, vendor)
        except WatchlistError as exc:
            ack(response_type="ephemeral", **reply(_escape(str(exc))))
            return True
        name = _escape(" ".join(vendor.split()))
        if not gone:
            ack(response_type="ephemeral", **reply(f"This channel was not watching *{name}*."))
            return True
        ack(
            response_type="in_channel",
            **reply(f"<@{user}> stopped this channel watching *{name}*."),
        )
        return True

    def on_watching(self, ack: Callable, body: dict, respond: Callable) -> bool:
        if self._args(body):
            return False
        channel = body.get("channel_id") or ""
        vendors = self.watchlist.watching(channel).get(channel, [])
        if not vendors:
            text = "This channel watches no vendors. Start with `/vendorcheck watch <vendor>`."
        else:
            text = "This channel watches: " + ", ".join(f"*{_escape(v)}*" for v in vendors)
        ack(response_type="ephemeral", **reply(text))
        return True


def feed_status(feed: FeedSummary) -> str:
    if feed.error:
        return feed.error
    if feed.not_modified:
        return "not modified"
    return f"{feed.new_entries} new entr{'y' if feed.new_entries == 1 else 'ies'}"


def attach(
    runtime: Any,
    config: EngineConfig,
    *,
    admins: frozenset[str] | None = None,
    interval: float | None = None,
    limits: FetchLimits | None = None,
) -> Freshness:
    """Register the freshness subcommands on a running bot and start the feed schedule."""
    fresh = Freshness(
        config,
        runtime.bot,
        runtime.app.client,
        parse_admins(os.environ.get("VENDORCHECK_ADMINS")) if admins is None else admins,
        limits,
    )
    runtime.bot.subcommands.update(fresh.commands())
    fresh.start_schedule(
        parse_interval(os.environ.get("VENDORCHECK_SYNC_INTERVAL"))
        if interval is None
        else interval
    )
    return fresh
