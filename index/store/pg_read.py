"""Open the engine store for querying: the small part in memory, the large part on the server.

In memory (as for the local store): the articles, each passage's (article, start, end) in row
order, the vendor data and the term counts. On the server: the vectors (HNSW), the postings,
and the filters. `EngineHandle` maps the server's passage ids to this process's rows and holds
the connection pool the searches use.
"""

from __future__ import annotations

import threading
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.articles import Article
from index.errors import IndexIncompatibleError, IndexMissingError
from index.store.manifest import Manifest
from index.store.pg_schema import K1, B, EngineStoreError, connect, redact
from index.store.reader import StoredIndex
from index.vendors.registry import VendorIndex


@dataclass
class EngineHandle:
    url: str
    version: int
    pids: np.ndarray  # int64, row -> the server's passage id
    df: dict[str, int]  # term -> how many passages hold it
    total_length: int
    _local: threading.local = field(default_factory=threading.local, repr=False)

    def __post_init__(self) -> None:
        self._order = np.argsort(self.pids)
        self._sorted = self.pids[self._order]

    @property
    def size(self) -> int:
        return len(self.pids)

    @property
    def avgdl(self) -> float:
        return self.total_length / max(self.size, 1)

    @property
    def bm25(self) -> tuple[float, float]:
        return K1, B

    def conn(self):  # type: ignore[no-untyped-def]
        """This thread's connection (opened on first use, reopened if it broke).

        JIT off: Postgres JIT-compiles plans it costs high (the BM25 top n at 100k), which
        takes longer than running them. Custom plans always: psycopg prepares a statement
        used five times, and a generic plan (array sizes and LIMIT unknown) can skip the
        HNSW index."""
        conn = getattr(self._local, "conn", None)
        if conn is None or conn.closed or conn.broken:
            options = "-c jit=off -c plan_cache_mode=force_custom_plan"
            conn = connect(self.url, autocommit=True, options=options)
            self._local.conn, self._local.ef_search = conn, None
        return conn

    def ef_search(self, n: int) -> None:
        """HNSW's candidate list on this thread's connection (set once, not per question)."""
        conn = self.conn()
        if self._local.ef_search != n:
            conn.execute(f"SET hnsw.ef_search = {int(n)}")
            self._local.ef_search = n

    def rows_of(self, pids: np.ndarray) -> np.ndarray:
        """Rows of server passage ids (ids this process has not loaded are dropped)."""
        pids = np.asarray(pids, dtype=np.int64)
        if len(pids) == 0 or len(self._sorted) == 0:
            return np.zeros(0, dtype=np.int64)
        at = np.clip(np.searchsorted(self._sorted, pids), 0, len(self._sorted) - 1)
        known = self._sorted[at] == pids
        return self._order[at[known]].astype(np.int64)


def store_version(url: str) -> int | None:
    """The engine's version row: one indexed lookup, to decide whether to reload."""
    with connect(url, autocommit=True) as conn:
        return _version(conn)


def _version(conn) -> int | None:  # type: ignore[no-untyped-def]
    import psycopg

    try:
        row = conn.execute("SELECT value FROM vc_meta WHERE key = 'version'").fetchone()
    except psycopg.errors.UndefinedTable:
        return None
    return int(row[0]) if row else None


def open_engine(url: str, model_id: str | None) -> StoredIndex:
    """Load one consistent version of the engine store, or raise a one-line error."""
    with connect(url) as conn:
        conn.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        version = _version(conn)
        if version is None:
            raise IndexMissingError(
                f"no index in the engine store at {redact(url)}; build one with: "
                "VENDORCHECK_STORE=URL vendorcheck index (or vendorcheck store migrate)"
            )
        meta = dict(conn.execute("SELECT key, value FROM vc_meta").fetchall())
        manifest = meta["manifest"]
        if model_id is not None and manifest.get("model") != model_id:
            raise IndexIncompatibleError(
                f"the engine store at {redact(url)} was built with {manifest.get('model')!r}, "
                f"VENDORCHECK_MODEL is {model_id!r}; rebuild with vendorcheck index --rebuild"
            )
        articles = [
            Article.from_record(r)
            for (r,) in conn.execute("SELECT record FROM vc_articles ORDER BY position")
        ]
        rows = conn.execute(
            "SELECT p.pid, a.position, p.start, p.stop FROM vc_passages p JOIN vc_articles a "
            "ON a.id = p.article_id ORDER BY a.position, p.start"
        ).fetchall()
        df = dict(conn.execute("SELECT term, df FROM vc_terms").fetchall())
    table = np.asarray(rows, dtype=np.int64).reshape(-1, 4)
    passages = table[:, 1:].astype(np.int32)
    stats = meta.get("stats", {})
    if stats.get("passages") != len(passages):
        raise EngineStoreError(f"the engine store at {redact(url)} is inconsistent; re-run index")
    handle = EngineHandle(url, version, table[:, 0].copy(), df, int(stats["total_length"]))
    vendor_data = meta.get("vendor_data", {})
    return StoredIndex(
        generation=Path(f"engine-v{version}"),
        manifest=Manifest({"model": manifest["model"], "dim": manifest["dim"]}),
        articles=articles,
        passages=passages,
        dense=None,
        lexical=None,
        vectors=None,
        vendor_data=vendor_data,
        vendors=VendorIndex(vendor_data, passages, articles),
        engine=handle,
    )
