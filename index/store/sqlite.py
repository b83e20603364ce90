"""Opening the small SQLite stores under the data dir (watchlists, feedback) the same way."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from index.errors import VendorcheckError


def open_sqlite(
    data_dir: Path,
    name: str,
    schema: str,
    *,
    autocommit: bool = False,
    busy_timeout: float = 5.0,
    synchronous: str = "",
    what: str = "",
) -> sqlite3.Connection:
    """Create `data_dir` if needed and open `data_dir/name` with the WAL journal and `schema`
    applied.

    The connection may be used from any thread (`check_same_thread=False`); callers serialise
    access with their own lock. `autocommit` turns off Python's implicit transactions;
    `synchronous` "FULL" makes every commit durable across `kill -9` and power loss, "NORMAL"
    across `kill -9` only (no fsync per commit). With `what` ("the feedback store"), a failure
    to open is one VendorcheckError line naming it; without, the sqlite/OS error is raised.
    """
    try:
        data_dir.mkdir(parents=True, exist_ok=True)
        db = sqlite3.connect(
            data_dir / name,
            check_same_thread=False,
            timeout=busy_timeout,
            isolation_level=None if autocommit else "",
        )
        db.execute("PRAGMA journal_mode=WAL")
        if synchronous in ("FULL", "NORMAL"):
            db.execute(f"PRAGMA synchronous={synchronous}")
        db.executescript(schema)
    except (OSError, sqlite3.Error) as exc:
        if not what:
            raise
        raise VendorcheckError(
            f"cannot open {what} in {data_dir}: {exc} (check VENDORCHECK_DATA_DIR is writable)"
        ) from None
    return db
