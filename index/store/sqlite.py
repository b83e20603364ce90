"""Opening the small SQLite stores under the data dir (watchlists, feedback) the same way."""

from __future__ import annotations

import sqlite3
from pathlib import Path


def open_sqlite(
    data_dir: Path,
    name: str,
    schema: str,
    *,
    autocommit: bool = False,
    busy_timeout: float = 5.0,
    synchronous_full: bool = False,
) -> sqlite3.Connection:
    """Create `data_dir` if needed and open `data_dir/name` with the WAL journal and `schema`
    applied.

    The connection may be used from any thread (`check_same_thread=False`); callers serialise
    access with their own lock. `autocommit` turns off Python's implicit transactions;
    `synchronous_full` makes every commit durable across `kill -9` and power loss.
    """
    data_dir.mkdir(parents=True, exist_ok=True)
    db = sqlite3.connect(
        data_dir / name,
        check_same_thread=False,
        timeout=busy_timeout,
        isolation_level=None if autocommit else "",
    )
    db.execute("PRAGMA journal_mode=WAL")
    if synchronous_full:
        db.execute("PRAGMA synchronous=FULL")
    db.executescript(schema)
    return db
