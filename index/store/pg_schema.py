"""The engine store's tables in PostgreSQL (pgvector for the vectors, BM25 postings for text).

| table | one row per | holds |
| --- | --- | --- |
| `vc_meta` | key | `manifest` (model, dim), `vendor_data` (vendors.json), `stats` (passages, total length), `version` |
| `vc_articles` | article | its record, content hash, position (the row order), publisher, date |
| `vc_passages` | passage | article, start/end, token count, publisher and date (for filters), the vector (HNSW, inner product) |
| `vc_postings` | (term, passage) | term frequency and passage length: BM25 computed by the server; `impact`, the term weight when it was written (orders a term's postings for the top-n over large corpora) |
| `vc_terms` | term | document frequency |
| `vc_article_vendors` | (vendor, article) | which articles name which vendor (the vendor filter) |

BM25 is bm25s's own variant ("lucene": idf = ln(1 + (N - df + .5) / (df + .5)), term weight
tf / (tf + k1 (1 - b + b dl / avgdl))), so scores equal the local store's. Only what an
update touches is written: an article's passages, postings and terms; the meta rows.
Scores always use the current counts; `impact` (written once) only picks which of a common
term's postings are scored in full when the corpus is large (`search/pg_search.py`).
"""

from __future__ import annotations

import contextlib

from index.errors import VendorcheckError

K1, B = 1.5, 0.75  # bm25s defaults, which the local store's LexicalIndex uses


def impact(tf: int, dl: int, avgdl: float) -> float:
    """BM25's term weight without the idf (bm25s "lucene"): what orders a term's postings."""
    return tf / (tf + K1 * (1 - B + B * dl / max(avgdl, 1e-9)))


SCHEMA_VERSION = 1
LOCK_ID = 7_215_013  # pg_advisory_xact_lock: one writer at a time
HNSW_INDEX = "CREATE INDEX IF NOT EXISTS vc_passages_hnsw ON vc_passages USING hnsw (embedding vector_ip_ops)"


class EngineStoreError(VendorcheckError):
    """The engine store cannot be reached or holds something else."""


def ddl(dim: int) -> list[str]:
    return [
        "CREATE EXTENSION IF NOT EXISTS vector",
        "CREATE TABLE IF NOT EXISTS vc_meta (key text PRIMARY KEY, value jsonb NOT NULL)",
        """CREATE TABLE IF NOT EXISTS vc_articles (
            id text PRIMARY KEY, hash text NOT NULL, position int NOT NULL,
            record jsonb NOT NULL, publisher text NOT NULL, published date)""",
        f"""CREATE TABLE IF NOT EXISTS vc_passages (
            pid bigint PRIMARY KEY,
            article_id text NOT NULL REFERENCES vc_articles (id) ON DELETE CASCADE,
            start int NOT NULL, stop int NOT NULL, dl int NOT NULL,
            publisher text NOT NULL, published date, embedding vector({int(dim)}) NOT NULL)""",
        "CREATE SEQUENCE IF NOT EXISTS vc_pid_seq",
        "CREATE INDEX IF NOT EXISTS vc_passages_article ON vc_passages (article_id)",
        "CREATE INDEX IF NOT EXISTS vc_passages_published ON vc_passages (published)",
        HNSW_INDEX,
        """CREATE TABLE IF NOT EXISTS vc_postings (
            term text NOT NULL, pid bigint NOT NULL REFERENCES vc_passages ON DELETE CASCADE,
            tf int NOT NULL, dl int NOT NULL, PRIMARY KEY (term, pid))""",
        "CREATE INDEX IF NOT EXISTS vc_postings_pid ON vc_postings (pid)",
        "ALTER TABLE vc_postings ADD COLUMN IF NOT EXISTS impact real",
        """CREATE INDEX IF NOT EXISTS vc_postings_impact ON vc_postings (term, impact DESC)
            INCLUDE (pid, tf, dl)""",
        "CREATE TABLE IF NOT EXISTS vc_terms (term text PRIMARY KEY, df int NOT NULL)",
        """CREATE TABLE IF NOT EXISTS vc_article_vendors (
            vendor text NOT NULL, article_id text NOT NULL REFERENCES vc_articles (id)
            ON DELETE CASCADE, PRIMARY KEY (vendor, article_id))""",
    ]


def redact(url: str) -> str:
    """The URL without its password, for messages."""
    from psycopg.conninfo import conninfo_to_dict

    try:
        info = conninfo_to_dict(url)
    except Exception:
        return "the engine store"
    return f"postgresql://{info.get('host', '')}:{info.get('port', 5432)}/{info.get('dbname', '')}"


def connect(url: str, **kwargs: object):  # type: ignore[no-untyped-def]
    """One connection with the vector type registered; a one-line error if unreachable."""
    try:
        import psycopg
        from pgvector.psycopg import register_vector
    except ImportError:
        raise EngineStoreError(
            "the engine store needs psycopg and pgvector: pip install 'vendorcheck[engine]'"
        ) from None
    try:
        conn = psycopg.connect(url, connect_timeout=10, **kwargs)
    except psycopg.Error as exc:
        first = (str(exc).strip().splitlines() or ["?"])[0]
        raise EngineStoreError(f"cannot connect to {redact(url)}: {first}") from None
    with contextlib.suppress(psycopg.ProgrammingError):
        register_vector(conn)  # before the first build there is no vector type yet
    return conn
