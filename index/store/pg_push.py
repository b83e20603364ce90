"""Bring the engine store up to date with one local generation, by article hash.

The local builder (`store/builder.py`) does what is the same for both stores: read the corpus,
chunk and embed only new or changed articles, extract vendor data and near-duplicates. This
module then sends the difference to the server in one transaction: articles whose hash is gone
are deleted (their passages and postings go with them), new ones are inserted with their
passages, vectors and BM25 postings, and only the terms they touch are recounted. The small
rows (article positions, vendor data, counts, version) are replaced. Readers see the old state
or the new, never half; the version row tells serving processes to reload.
"""

from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field

import numpy as np

from index.store.pg_schema import (
    HNSW_INDEX,
    K1,
    LOCK_ID,
    SCHEMA_VERSION,
    B,
    EngineStoreError,
    ddl,
    impact,
)
from index.text.chunking import embedding_input
from index.text.terms import tokenize

BULK_MIN_ARTICLES = 200  # below this, inserting into the HNSW index is quick anyway


@dataclass
class PushReport:
    added: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    passages: int = 0
    version: int = 0


def _meta(cur, key: str, value: object) -> None:  # type: ignore[no-untyped-def]
    cur.execute(
        "INSERT INTO vc_meta VALUES (%s, %s::jsonb) ON CONFLICT (key) DO UPDATE SET value = "
        "excluded.value",
        (key, json.dumps(value)),
    )


def _check_model(cur, manifest: dict) -> None:  # type: ignore[no-untyped-def]
    cur.execute("SELECT value FROM vc_meta WHERE key = 'manifest'")
    row = cur.fetchone()
    if row and (row[0].get("model"), row[0].get("dim")) != (manifest["model"], manifest["dim"]):
        raise EngineStoreError(
            f"the engine store holds vectors of {row[0].get('model')!r}, this index is of "
            f"{manifest['model']!r}; empty it first (vendorcheck store migrate --replace)"
        )


def push_generation(conn, stored, replace: bool = False) -> PushReport:  # type: ignore[no-untyped-def]
    """Make the engine hold what the local `stored` index holds."""
    from pgvector.psycopg import register_vector

    manifest = {"model": stored.manifest.model, "dim": stored.manifest.dim}
    hashes = stored.manifest.article_hashes
    with conn.transaction():
        conn.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_ID,))
        for statement in ddl(stored.manifest.dim):
            conn.execute(statement)
    register_vector(conn)  # before the cursor: a cursor copies the connection's types
    with conn.transaction(), conn.cursor() as cur:
        cur.execute("SELECT pg_advisory_xact_lock(%s)", (LOCK_ID,))
        if replace:  # everything but the version, which only goes up (serving processes)
            cur.execute("DELETE FROM vc_meta WHERE key <> 'version'")
            cur.execute("TRUNCATE vc_articles, vc_passages, vc_postings, vc_terms CASCADE")
        _check_model(cur, manifest)
        _fill_impacts(cur)
        cur.execute("SELECT id, hash FROM vc_articles")
        old = dict(cur.fetchall())
        report = PushReport()
        report.removed = sorted(a for a, h in old.items() if hashes.get(a) != h)
        report.added = sorted(a for a, h in hashes.items() if old.get(a) != h)
        vendor_hash = hashlib.sha256(
            json.dumps(stored.vendor_data, sort_keys=True).encode()
        ).hexdigest()
        cur.execute("SELECT value FROM vc_meta WHERE key = 'vendor_hash'")
        row = cur.fetchone()
        if not (report.added or report.removed) and row and row[0] == vendor_hash:
            report.version = _current_version(cur)
            report.passages = stored.size
            return report  # nothing changed: no new version, serving processes keep theirs
        touched = _delete(cur, report.removed)
        positions = {a.id: i for i, a in enumerate(stored.articles)}
        bulk = _bulk(cur, len(report.added), len(old))
        touched |= _insert(cur, stored, set(report.added), hashes)
        if bulk:
            cur.execute("SET LOCAL maintenance_work_mem = '1GB'")
            cur.execute(HNSW_INDEX)
            cur.execute("ANALYZE vc_passages, vc_postings")  # plans for the new sizes at once
        cur.execute(
            "UPDATE vc_articles a SET position = v.pos FROM unnest(%s::text[], %s::int[]) "
            "AS v(id, pos) WHERE a.id = v.id AND a.position <> v.pos",
            (list(positions), list(positions.values())),
        )
        _recount(cur, sorted(touched))
        _vendors(cur, stored)
        _publish(cur, stored, manifest, vendor_hash, report)
    if bulk:  # index-only scans of the postings need the visibility map set
        conn.autocommit = True
        try:
            conn.execute("VACUUM (ANALYZE) vc_postings, vc_passages")
        finally:
            conn.autocommit = False
    return report


def _publish(cur, stored, manifest: dict, vendor_hash: str, report: PushReport) -> None:  # type: ignore[no-untyped-def]
    """The small rows readers load, and the version row last: what serving processes watch."""
    cur.execute("SELECT count(*), coalesce(sum(dl), 0) FROM vc_passages")
    count, total = cur.fetchone()
    report.passages = int(count)
    report.version = _current_version(cur) + 1
    _meta(cur, "vendor_hash", vendor_hash)
    _meta(cur, "manifest", manifest | {"schema": SCHEMA_VERSION})
    _meta(cur, "vendor_data", stored.vendor_data)
    _meta(cur, "stats", {"passages": int(count), "total_length": int(total)})
    _meta(cur, "version", report.version)


def _bulk(cur, adding: int, having: int) -> bool:  # type: ignore[no-untyped-def]
    """Adding more articles than there are: drop the HNSW index and build it once afterwards
    (inserting into it row by row is what makes a first load slow)."""
    if adding <= max(having, BULK_MIN_ARTICLES):
        return False
    cur.execute("DROP INDEX IF EXISTS vc_passages_hnsw")
    return True


def _current_version(cur) -> int:  # type: ignore[no-untyped-def]
    cur.execute("SELECT value FROM vc_meta WHERE key = 'version'")
    row = cur.fetchone()
    return int(row[0]) if row else 0


def _delete(cur, article_ids: list[str]) -> set[str]:  # type: ignore[no-untyped-def]
    """Delete articles (passages and postings cascade); the terms whose counts change."""
    if not article_ids:
        return set()
    cur.execute(
        "SELECT DISTINCT term FROM vc_postings WHERE pid IN "
        "(SELECT pid FROM vc_passages WHERE article_id = ANY(%s))",
        (article_ids,),
    )
    terms = {t for (t,) in cur.fetchall()}
    cur.execute("DELETE FROM vc_articles WHERE id = ANY(%s)", (article_ids,))
    return terms


def _insert(cur, stored, added: set[str], hashes: dict[str, str]) -> set[str]:  # type: ignore[no-untyped-def]
    """Insert the `added` articles with their passages, vectors and postings; their terms."""
    if not added:
        return set()
    wanted = [i for i, a in enumerate(stored.articles) if a.id in added]
    with cur.copy(
        "COPY vc_articles (id, hash, position, record, publisher, published) FROM STDIN"
    ) as copy:
        for i in wanted:
            article = stored.articles[i]
            copy.write_row(
                (article.id, hashes[article.id], i, json.dumps(article.to_record()),
                 article.publisher, article.published)
            )  # fmt: skip
    rows = np.flatnonzero(np.isin(stored.passages[:, 0], wanted))
    cur.execute("SELECT nextval('vc_pid_seq') FROM generate_series(1, %s)", (len(rows),))
    pids = [p for (p,) in cur.fetchall()]
    texts = []  # what the local store's BM25 indexes: the title, then the passage
    for row in rows:
        idx, start, end = (int(x) for x in stored.passages[row])
        article = stored.articles[idx]
        texts.append(embedding_input(article.title, article.text[start:end]))
    terms = tokenize(texts)
    with cur.copy(
        "COPY vc_passages (pid, article_id, start, stop, dl, publisher, published, embedding) "
        "FROM STDIN WITH (FORMAT BINARY)"
    ) as copy:
        copy.set_types(["int8", "text", "int4", "int4", "int4", "text", "date", "vector"])
        for pid, row, tokens in zip(pids, rows, terms, strict=True):
            idx, start, end = (int(x) for x in stored.passages[row])
            article = stored.articles[idx]
            vector = np.asarray(stored.vectors[row], dtype=np.float32)
            copy.write_row(
                (pid, article.id, start, end, len(tokens), article.publisher, article.published,
                 vector)
            )  # fmt: skip
    cur.execute("SELECT avg(dl) FROM vc_passages")
    avgdl = float(cur.fetchone()[0] or 1.0)
    seen: set[str] = set()
    with cur.copy("COPY vc_postings (term, pid, tf, dl, impact) FROM STDIN") as copy:
        for pid, tokens in zip(pids, terms, strict=True):
            for term, tf in Counter(tokens).items():
                copy.write_row((term, pid, tf, len(tokens), impact(tf, len(tokens), avgdl)))
                seen.add(term)
    return seen


def _fill_impacts(cur) -> None:  # type: ignore[no-untyped-def]
    """Postings written before the impact column: give them one (once)."""
    cur.execute("SELECT 1 FROM vc_postings WHERE impact IS NULL LIMIT 1")
    if cur.fetchone() is None:
        return
    cur.execute("SELECT avg(dl) FROM vc_passages")
    avgdl = float(cur.fetchone()[0] or 1.0)
    cur.execute(
        "UPDATE vc_postings SET impact = tf / (tf + %s * (1 - %s + %s * dl / %s)) "
        "WHERE impact IS NULL",
        (K1, B, B, avgdl),
    )


def _recount(cur, terms: list[str]) -> None:  # type: ignore[no-untyped-def]
    if not terms:
        return
    cur.execute("DELETE FROM vc_terms WHERE term = ANY(%s)", (terms,))
    cur.execute(
        "INSERT INTO vc_terms SELECT term, count(*) FROM vc_postings WHERE term = ANY(%s) "
        "GROUP BY term",
        (terms,),
    )


def _vendors(cur, stored) -> None:  # type: ignore[no-untyped-def]
    """Which articles name which vendor (the vendor filter runs on the server from this)."""
    article_of = stored.passages[:, 0] if stored.size else np.zeros(0, dtype=np.int32)
    pairs = {
        (key, stored.articles[int(a)].id)
        for key, rows in stored.vendor_data.get("mentions", {}).items()
        for a in np.unique(article_of[np.asarray(rows, dtype=np.int64)])
    }
    cur.execute("DELETE FROM vc_article_vendors")
    with cur.copy("COPY vc_article_vendors (vendor, article_id) FROM STDIN") as copy:
        for pair in sorted(pairs):
            copy.write_row(pair)
