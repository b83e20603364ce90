"""Watchlists: which channels watch which vendors, and which alerts were already sent.

Stored in SQLite under the data dir (`watchlists.sqlite3`), so they survive restarts. A
"channel" is any subscriber id (the Slack app uses channel ids); this module knows nothing of
Slack. Each (channel, article) pair is alerted at most once, however often the article is
re-fetched or re-synced; so is each (channel, list, listed name, added/removed) change of an
official list (index/watch/list_changes.py), however often the lists are synced.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

from index.articles import Article
from index.errors import VendorcheckError
from index.store.sqlite import open_sqlite
from index.text.urls import normalize_url
from index.vendors.mentions import clean_term, key_quote, mentions

DB_NAME = "watchlists.sqlite3"
MAX_VENDOR_CHARS = 60
MAX_WATCHES_PER_CHANNEL = 100

_SCHEMA = """
CREATE TABLE IF NOT EXISTS watches (
    channel TEXT NOT NULL,
    vendor_key TEXT NOT NULL,
    vendor TEXT NOT NULL,
    added_by TEXT NOT NULL DEFAULT '',
    added_at TEXT NOT NULL,
    PRIMARY KEY (channel, vendor_key)
);
CREATE TABLE IF NOT EXISTS alerts (
    channel TEXT NOT NULL,
    article_key TEXT NOT NULL,
    vendor TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    PRIMARY KEY (channel, article_key)
);
CREATE TABLE IF NOT EXISTS list_alerts (
    channel TEXT NOT NULL,
    list_id TEXT NOT NULL,
    name_key TEXT NOT NULL,
    change TEXT NOT NULL,
    vendor TEXT NOT NULL,
    sent_at TEXT NOT NULL,
    PRIMARY KEY (channel, list_id, name_key, change)
);
"""


class WatchlistError(VendorcheckError):
    pass


@dataclass(frozen=True)
class Match:
    channel: str
    vendor: str
    article: Article
    quote: str

    @property
    def article_key(self) -> str:
        return normalize_url(self.article.url) if self.article.url else f"id:{self.article.id}"


def validate_vendor(raw: str) -> str:
    vendor = clean_term(raw.strip().strip("\"'“”"))
    if not vendor:
        raise WatchlistError("name a vendor to watch, e.g. `watch Kaspersky`")
    if len(vendor) > MAX_VENDOR_CHARS:
        raise WatchlistError(f"a vendor name is at most {MAX_VENDOR_CHARS} characters")
    if not any(ch.isalnum() for ch in vendor) or any(ord(ch) < 32 for ch in vendor):
        raise WatchlistError(f"{vendor!r} does not look like a vendor name")
    return vendor


def _now() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


class Watchlist:
    """Thread-safe; open one per process (or per CLI command)."""

    def __init__(self, data_dir: Path) -> None:
        self.path = data_dir / DB_NAME
        self._lock = threading.Lock()
        self._db = open_sqlite(data_dir, DB_NAME, _SCHEMA, busy_timeout=10)

    def close(self) -> None:
        with self._lock:
            self._db.close()

    def watch(self, channel: str, vendor: str, user: str = "") -> bool:
        """Start watching; False if the channel already watched it."""
        vendor = validate_vendor(vendor)
        with self._lock, self._db:
            count = self._db.execute(
                "SELECT COUNT(*) FROM watches WHERE channel = ?", (channel,)
            ).fetchone()[0]
            if count >= MAX_WATCHES_PER_CHANNEL:
                raise WatchlistError(
                    f"this channel already watches {count} vendors (the limit); unwatch some first"
                )
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO watches VALUES (?, ?, ?, ?, ?)",
                (channel, vendor.casefold(), vendor, user, _now()),
            )
            return cursor.rowcount == 1

    def unwatch(self, channel: str, vendor: str) -> bool:
        vendor = validate_vendor(vendor)
        with self._lock, self._db:
            cursor = self._db.execute(
                "DELETE FROM watches WHERE channel = ? AND vendor_key = ?",
                (channel, vendor.casefold()),
            )
            return cursor.rowcount > 0

    def watching(self, channel: str | None = None) -> dict[str, list[str]]:
        """channel -> vendors (sorted), for one channel or all."""
        query = "SELECT channel, vendor FROM watches"
        params: tuple[str, ...] = ()
        if channel is not None:
            query += " WHERE channel = ?"
            params = (channel,)
        with self._lock:
            rows = self._db.execute(query + " ORDER BY channel, vendor_key", params).fetchall()
        result: dict[str, list[str]] = {}
        for chan, vendor in rows:
            result.setdefault(chan, []).append(vendor)
        return result

    def channels_added_by(self, user: str) -> list[str]:
        """The channels where `user` added a watch (sorted)."""
        with self._lock:
            rows = self._db.execute(
                "SELECT DISTINCT channel FROM watches WHERE added_by = ? ORDER BY channel", (user,)
            ).fetchall()
        return [r[0] for r in rows]

    def matches(self, articles: Iterable[Article]) -> list[Match]:
        """One match per (channel, article) not alerted yet: the first watched vendor it mentions."""
        watches = self.watching()
        found: list[Match] = []
        for article in articles:
            for channel, vendors in watches.items():
                for vendor in vendors:
                    if mentions(article, vendor):
                        match = Match(channel, vendor, article, key_quote(article, vendor))
                        if not self.was_alerted(channel, match.article_key):
                            found.append(match)
                        break
        return found

    def was_alerted(self, channel: str, article_key: str) -> bool:
        with self._lock:
            row = self._db.execute(
                "SELECT 1 FROM alerts WHERE channel = ? AND article_key = ?",
                (channel, article_key),
            ).fetchone()
        return row is not None

    def claim_alert(self, match: Match) -> bool:
        """Record the alert before sending it; False if another run already claimed it."""
        with self._lock, self._db:
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO alerts VALUES (?, ?, ?, ?)",
                (match.channel, match.article_key, match.vendor, _now()),
            )
            return cursor.rowcount == 1

    def release_alert(self, match: Match) -> None:
        """Forget a claimed alert whose sending failed, so a later run may try again."""
        with self._lock, self._db:
            self._db.execute(
                "DELETE FROM alerts WHERE channel = ? AND article_key = ?",
                (match.channel, match.article_key),
            )

    def claim_list_alert(self, key: tuple[str, str, str, str], vendor: str) -> bool:
        """Record a list-change alert, `key` = (channel, list_id, name key, "added"|"removed"),
        before sending it; False if it was already sent (or claimed by another run)."""
        with self._lock, self._db:
            cursor = self._db.execute(
                "INSERT OR IGNORE INTO list_alerts VALUES (?, ?, ?, ?, ?, ?)",
                (*key, vendor, _now()),
            )
            return cursor.rowcount == 1

    def release_list_alert(self, key: tuple[str, str, str, str]) -> None:
        """Forget a claimed list-change alert whose sending failed, so that it goes out if a
        sync reports the change again (it is not retried by itself)."""
        with self._lock, self._db:
            self._db.execute(
                "DELETE FROM list_alerts"
                " WHERE channel = ? AND list_id = ? AND name_key = ? AND change = ?",
                key,
            )
