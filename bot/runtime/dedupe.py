"""Durable exactly-once: the deliveries a bot has taken, in SQLite under the data dir
(`dedupe.sqlite3`), so that a retry Slack sends after a restart is not answered a second time.

A key (an event id, a trigger id) is *claimed* when a delivery arrives (and counts as done:
most replies are the ack itself); work queued for it marks it *pending* until its reply went
out, then *done*. A later delivery of the same key is dropped when the key is done, or claimed
by this very process (it is being answered now). A key left pending by an earlier process
(killed mid-answer) is claimed again: that retry is answered, so a crash loses nothing. Keys expire after `ttl` seconds (Slack retries for about an hour at most).

WAL journal with synchronous=NORMAL: a claim committed before the ack survives `kill -9` (the
commit is in the WAL file the moment it returns); only a power cut can lose the last claims,
and then a retry is answered twice, not lost. FULL would fsync on every delivery
(`python -m benchmarks.slack_surfaces` measures both).
One data dir per serving process (as for the index and the feedback store): a second live
process sharing it would count as "an earlier process".
"""

from __future__ import annotations

import secrets
import threading
import time
from pathlib import Path

from index.store.sqlite import open_sqlite

DB_NAME = "dedupe.sqlite3"
PRUNE_EVERY = 500  # claims between deletes of expired keys

_SCHEMA = """
CREATE TABLE IF NOT EXISTS deliveries (
    key TEXT PRIMARY KEY,
    claimed REAL NOT NULL,
    owner TEXT NOT NULL,
    done INTEGER NOT NULL DEFAULT 0
);
CREATE INDEX IF NOT EXISTS deliveries_claimed ON deliveries(claimed);
"""


class DeliveryLog:
    """Thread-safe (one connection, one lock). `clock` is wall time: it must survive restarts."""

    def __init__(
        self, data_dir: Path, ttl: float, clock=time.time, synchronous: str = "NORMAL"
    ) -> None:
        self.ttl = ttl
        self._clock = clock
        self.owner = secrets.token_hex(8)  # this process; claims of others are from the past
        self._db = open_sqlite(
            Path(data_dir),
            DB_NAME,
            _SCHEMA,
            autocommit=True,
            synchronous="FULL" if synchronous == "FULL" else "NORMAL",
            what="the delivery log",
        )
        self._lock = threading.Lock()
        self._claims = 0

    def claim(self, key: str) -> bool:
        """True if this delivery of `key` should be handled (first time, or left pending by an
        earlier process); False for a duplicate."""
        now = self._clock()
        with self._lock:
            self._claims += 1
            if self._claims % PRUNE_EVERY == 1:
                self._db.execute("DELETE FROM deliveries WHERE claimed < ?", (now - self.ttl,))
            row = self._db.execute(
                "SELECT claimed, owner, done FROM deliveries WHERE key = ?", (key,)
            ).fetchone()
            fresh = row is not None and now - row[0] < self.ttl
            if fresh and (row[2] or row[1] == self.owner):
                return False
            self._db.execute(
                "INSERT OR REPLACE INTO deliveries (key, claimed, owner, done) VALUES (?, ?, ?, 1)",
                (key, now, self.owner),
            )
            return True

    def pending(self, key: str) -> None:
        """Work for `key` is queued: if this process dies before `done`, a retry is handled."""
        self._set(key, 0)

    def done(self, key: str) -> None:
        """The reply to `key` went out: no later delivery of it is handled."""
        self._set(key, 1)

    def _set(self, key: str, done: int) -> None:
        with self._lock:
            self._db.execute("UPDATE deliveries SET done = ? WHERE key = ?", (done, key))

    def close(self) -> None:
        with self._lock:
            self._db.close()
