"""Keeping the served corpus and lists fresh while the bot runs: add article URLs, sync the
feeds (now, or every VENDORCHECK_SYNC_INTERVAL), then serve the new index generation and alert
the channels watching a vendor a new article mentions; on the same schedule, right after the
feeds, sync the official lists and alert the channels watching a vendor the sync added to or
removed from a list.

Adds and syncs run one at a time on their own worker thread, never on the answer workers, so
questions keep being answered while articles are fetched and indexed. A new generation is
swapped in by the bot's LiveRetriever (bot/runtime/live_index.py), the one place that does it:
answers in flight finish on the old one. A new list snapshot needs no swap: answers re-read it
per snapshot version (index/lists/answers.py); its screening index is built here, so the first
answer after a sync does not pay for it. A failed list sync keeps the previous snapshot. The
Slack side (who may ask, the replies) is listeners/admin.py.
"""

from __future__ import annotations

import logging
import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

from bot.runtime.live_index import LiveRetriever
from bot.slack.alerts import post_alerts, post_list_alerts
from index import lists
from index.config import EngineConfig
from index.errors import VendorcheckError
from index.ingest.fetch import FetchLimits
from index.ingest.refresh import RefreshReport, add_urls, sync_feeds
from index.lists import ListDataError, SyncReport, load_snapshot
from index.lists.screen import index_for
from index.watch.watchlist import Watchlist

log = logging.getLogger("vendorcheck.fresh")


@dataclass(frozen=True)
class SyncRun:
    """The last run of one kind of sync since the bot started (the App Home tab shows it)."""

    at: datetime
    lines: tuple[str, ...]  # one per feed or list source
    errors: tuple[str, ...]  # the feeds / sources that failed, and why


def _feed_run(report: RefreshReport) -> SyncRun:
    lines = [
        f"{f.label}: {f.error or ('not modified' if f.not_modified else f'{f.new_entries} new')}"
        for f in report.feeds
    ]
    errors = [f"{f.label}: {f.error}" for f in report.feeds if f.error]
    return SyncRun(datetime.now(UTC), tuple(lines), tuple(errors))


def _list_run(report: SyncReport) -> SyncRun:
    errors = [s.line() for s in report.sources if s.status == "failed"]
    return SyncRun(datetime.now(UTC), tuple(s.line() for s in report.sources), tuple(errors))


class Freshness:
    """Freshness for one running bot: its live index, its Slack client (alerts), a worker."""

    def __init__(
        self,
        config: EngineConfig,
        live: LiveRetriever,
        client: Any,  # slack_sdk.WebClient for alerts
        limits: FetchLimits | None = None,
    ) -> None:
        self.config, self.live, self.client, self.limits = config, live, client, limits
        self.watchlist = Watchlist(config.data_dir)
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix="vendorcheck-fresh")
        self._stop = threading.Event()
        self._scheduler: threading.Thread | None = None
        self._pending_sync = threading.Lock()
        self.last_runs: dict[str, SyncRun] = {}  # "feeds" / "lists" -> the last run

    def submit(self, work: Callable[[], None]) -> None:
        """Run `work` on the freshness worker (after any add or sync already queued)."""
        self._worker.submit(work)

    def close(self) -> None:
        self._stop.set()
        self._worker.shutdown(wait=True, cancel_futures=True)
        if self._scheduler is not None:
            self._scheduler.join(timeout=5)
        self.watchlist.close()

    # -- refresh, serve, alert ------------------------------------------------------------------

    def after(self, report: RefreshReport) -> None:
        if report.build is not None and report.build.wrote_new_generation:
            self.live.check()  # serve the newest complete generation now, not at the next poll
        if report.new_articles:
            alerts = post_alerts(self.client, self.watchlist, report.new_articles)
            for match in alerts.sent:
                log.info("alert: %s in %s", match.vendor, match.channel)

    def add(self, urls: list[str]) -> RefreshReport:
        # the serving model embeds, so add/sync builds don't load a second copy of it
        report = add_urls(self.config, urls, self.limits, embedder=self.live.embedder)
        self.after(report)
        return report

    def sync(self) -> RefreshReport:
        report = sync_feeds(
            self.config, self.limits, embedder=self.live.embedder, cancel=self._stop
        )
        self.after(report)
        self.last_runs["feeds"] = _feed_run(report)
        added = len(report.new_articles)
        log.info("feed sync: %d feed(s), %d new article(s)", len(report.feeds), added)
        return report

    def sync_lists(self) -> SyncReport:
        """Sync the official lists, warm the new snapshot's screening index, alert; one log line."""
        report = lists.sync_lists(self.config, cancel=self._stop)
        self.last_runs["lists"] = _list_run(report)
        snapshot = None
        try:
            snapshot = load_snapshot(self.config)
            index_for(snapshot)  # built now, on this worker, not by the next answer
        except ListDataError as exc:
            log.warning("list snapshot: %s", exc)
        alerts = post_list_alerts(self.client, self.watchlist, report, snapshot)
        summary = "; ".join(s.line() for s in report.sources) or "nothing to sync"
        counts = f"{len(alerts.sent)} alert(s)" + (
            f", {len(alerts.failed)} not sent" if alerts.failed else ""
        )
        log.log(
            logging.INFO if report.ok else logging.WARNING, "list sync: %s; %s", summary, counts
        )
        return report

    # -- schedule -------------------------------------------------------------------------------

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
        log.info("feeds and official lists will be synced every %g s", interval)

    def _scheduled_sync(self) -> None:
        try:
            self._guarded("feed sync", "feeds", self.sync)
            if not self._stop.is_set():
                self._guarded("list sync", "lists", self.sync_lists)
        finally:
            self._pending_sync.release()

    def _guarded(self, name: str, kind: str, work: Callable[[], object]) -> None:
        """Run one scheduled sync; its failure is logged (and kept for the App Home tab) and
        does not stop the other."""
        try:
            work()
        except VendorcheckError as exc:
            log.warning("%s: %s", name, exc)
            self.last_runs[kind] = SyncRun(datetime.now(UTC), (), (str(exc),))
        except Exception as exc:
            log.exception("%s failed", name)
            failed = f"failed ({type(exc).__name__}); see the bot's log"
            self.last_runs[kind] = SyncRun(datetime.now(UTC), (), (failed,))
