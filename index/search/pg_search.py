"""The search primitives of `passages.PassageSearch`, answered by the engine store's server.

Same methods, same numbers: cosines are pgvector inner products of the same normalised
vectors, BM25 is bm25s's formula over the server's postings (`store/pg_schema.py`), divided by
the same ceiling. Filters (`filters.RowFilter`) go into the SQL, so the server's top n is taken
among passing passages. The ranking itself stays in `retriever.py` / `scoring.py`, shared.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from index.embed.model import Embedder
from index.search.filters import RowFilter
from index.store.reader import StoredIndex
from index.text.identifiers import cited_rows
from index.text.terms import stems

HNSW_EF_SEARCH = 200  # >= the candidates asked for (params.candidates), so HNSW returns them all

_WEIGHT = "q.idf * p.tf / (p.tf + %(k1)s * (1 - %(b)s + %(b)s * p.dl / %(avgdl)s))"


def filter_sql(where: RowFilter | None) -> tuple[str, dict]:
    """The WHERE clause (on `vc_passages p`) for a filter, and its parameters."""
    if where is None:
        return "TRUE", {}
    spec, clauses, params = where.spec, [], {}
    if spec.publishers:
        escaped = [
            p.replace("\\", "\\\\").replace("%", r"\%").replace("_", r"\_") for p in spec.publishers
        ]
        clauses.append("p.publisher ILIKE ANY(%(publishers)s)")
        params["publishers"] = [f"%{p}%" for p in escaped]
    if spec.since:
        clauses.append("p.published >= %(since)s")
        params["since"] = spec.since
    if spec.until:
        clauses.append("p.published <= %(until)s")
        params["until"] = spec.until
    for i, keys in enumerate(where.vendor_groups):
        clauses.append(
            f"p.article_id IN (SELECT article_id FROM vc_article_vendors WHERE vendor = ANY(%(v{i})s))"
        )
        params[f"v{i}"] = keys
    return " AND ".join(clauses) or "TRUE", params


EXACT_LEXICAL = 20_000  # passages; above, the top n is taken over high-impact postings
LEXICAL_DEPTH = 128  # postings per term, by impact, that pick the candidates

_EXACT_TOP = """
    WITH q(term, idf) AS (SELECT * FROM unnest(%(terms)s::text[], %(idf)s::float8[])),
    w AS (SELECT p.pid, q.term, {weight} AS w FROM vc_postings p JOIN q USING (term)),
    s AS (SELECT pid, sum(w) AS s FROM w GROUP BY pid)
    SELECT (SELECT sum(m) FROM (SELECT max(w) AS m FROM w GROUP BY term) t), s.pid
    FROM s {passing} ORDER BY s.s DESC, s.pid LIMIT %(n)s"""

_DEEP_TOP = f"""
    WITH q(term, idf) AS (SELECT * FROM unnest(%(terms)s::text[], %(idf)s::float8[])),
    c AS (SELECT q.term, p.pid, {_WEIGHT} AS w FROM q CROSS JOIN LATERAL
          (SELECT pid, tf, dl FROM vc_postings t WHERE t.term = q.term
           ORDER BY t.impact DESC LIMIT %(depth)s) p),
    k AS (SELECT DISTINCT pid FROM c),  -- LIMIT 1 below: a (term, pid) key lookup per pair
    s AS (SELECT k.pid, sum({_WEIGHT}) AS s FROM k CROSS JOIN q CROSS JOIN LATERAL
          (SELECT tf, dl FROM vc_postings t WHERE t.term = q.term AND t.pid = k.pid LIMIT 1) p
          GROUP BY k.pid)
    SELECT (SELECT sum(m) FROM (SELECT max(w) AS m FROM c GROUP BY term) t), s.pid
    FROM s ORDER BY s.s DESC, s.pid LIMIT %(n)s"""


class LexicalScores:
    """Normalised BM25 of passages for one query's terms, computed by the server on demand:
    `top(n)` for candidates, `scores[rows]` for the rows being ranked."""

    def __init__(self, search: PgPassageSearch, tokens: list[str]) -> None:
        self.search, self.tokens = search, tokens
        self.ceiling: float | None = None

    def _params(self) -> dict:
        engine = self.search.engine
        k1, b = engine.bm25
        idf = [self.search.idf(t) for t in self.tokens]
        return {"terms": self.tokens, "idf": idf, "k1": k1, "b": b, "avgdl": engine.avgdl}

    def top(self, n: int, where: RowFilter | None = None) -> np.ndarray:
        """The n best passing passages; also keeps the ceiling (one pass over the postings).

        Exact (every posting of the query's terms scored) up to `EXACT_LEXICAL` passages or
        with a filter; above, each term's `LEXICAL_DEPTH` highest-impact postings pick the
        candidates, which are then scored in full (common terms carry little weight)."""
        if not self.tokens:
            return np.zeros(0, dtype=np.int64)
        if where is None and self.search.engine.size > EXACT_LEXICAL:
            sql = _DEEP_TOP
        else:
            clause, extra = filter_sql(where)
            passing = f"JOIN vc_passages p USING (pid) WHERE {clause}" if where is not None else ""
            sql = _EXACT_TOP.format(weight=_WEIGHT, passing=passing)
        params = self._params() | {"n": n, "depth": LEXICAL_DEPTH}
        found = self.search.engine.conn().execute(sql, params | (extra if where else {}))
        found = found.fetchall()
        if found:
            self.ceiling = max(float(found[0][0]), 1e-6)
        return self.search.engine.rows_of(np.array([pid for _, pid in found], dtype=np.int64))

    def _ceiling(self) -> float:
        """The best BM25 any passage could reach: the sum of each term's best (as
        `LexicalIndex.ceiling`), from each term's highest-impact postings."""
        sql = f"""
            WITH q(term, idf) AS (SELECT * FROM unnest(%(terms)s::text[], %(idf)s::float8[]))
            SELECT sum(m) FROM (SELECT max({_WEIGHT}) AS m FROM q CROSS JOIN LATERAL
            (SELECT tf, dl FROM vc_postings t WHERE t.term = q.term ORDER BY t.impact DESC
            LIMIT %(depth)s) p GROUP BY q.term) x"""
        params = self._params() | {"depth": LEXICAL_DEPTH}
        found = self.search.engine.conn().execute(sql, params).fetchone()
        return max(float(found[0] or 0.0), 1e-6)

    def __getitem__(self, rows: np.ndarray) -> np.ndarray:
        """Normalised BM25 of `rows`: index lookups of (term, passage) only."""
        rows = np.asarray(rows, dtype=np.int64)
        out = np.zeros(len(rows), dtype=np.float32)
        if not self.tokens or len(rows) == 0:
            return out
        if self.ceiling is None:
            self.ceiling = self._ceiling()
        engine = self.search.engine
        sql = f"""
            WITH q(term, idf) AS (SELECT * FROM unnest(%(terms)s::text[], %(idf)s::float8[]))
            SELECT p.pid, sum({_WEIGHT}) FROM vc_postings p JOIN q USING (term)
            WHERE p.pid = ANY(%(pids)s) GROUP BY p.pid"""
        pids = engine.pids[rows]
        found = engine.conn().execute(sql, self._params() | {"pids": pids.tolist()}).fetchall()
        position = {int(pid): i for i, pid in enumerate(pids)}
        for pid, score in found:
            out[position[int(pid)]] = score / self.ceiling
        return out


@dataclass
class EngineScores:
    """`passages.QueryScores` with the BM25 half left on the server until asked for."""

    vector: np.ndarray
    tokens: list[str]
    lexical: LexicalScores


class PgPassageSearch:
    """`PassageSearch` over the engine store (see `passages.passage_search`)."""

    def __init__(self, index: StoredIndex, embedder: Embedder) -> None:
        self.index = index
        self.embedder = embedder
        self.engine = index.engine  # store/pg_read.py EngineHandle

    def known_word(self, word: str) -> bool:
        return all(t in self.engine.df for t in stems(word))  # type: ignore[union-attr]

    def idf(self, stem: str) -> float:
        df = self.engine.df.get(stem)  # type: ignore[union-attr]
        if df is None:
            return 0.0
        return float(np.log(1 + (self.index.size - df + 0.5) / (df + 0.5)))

    def word_pieces(self, word: str) -> int:
        return self.embedder.count_tokens([word])[0] - 2

    def rows_naming(self, words: list[str]) -> np.ndarray:
        """As `PassageSearch.rows_naming`: the rarest word's passages, narrowed by each next
        word while that leaves any (on the server: index lookups within the current set)."""
        df = self.engine.df  # type: ignore[union-attr]
        terms = [t for t in dict.fromkeys(t for w in words for t in stems(w)) if t in df]
        if not terms:
            return np.zeros(0, dtype=np.int64)
        conn = self.engine.conn()  # type: ignore[union-attr]
        rows: list[int] | None = None
        for term in sorted(terms, key=lambda t: df[t]):
            if rows is None:
                found = conn.execute("SELECT pid FROM vc_postings WHERE term = %s", (term,))
            else:
                found = conn.execute(
                    "SELECT pid FROM vc_postings WHERE term = %s AND pid = ANY(%s)", (term, rows)
                )
            narrowed = [pid for (pid,) in found]
            if narrowed:
                rows = narrowed
        if rows is None:
            return np.zeros(0, dtype=np.int64)
        return np.unique(self.engine.rows_of(np.array(rows, dtype=np.int64)))  # type: ignore[union-attr]

    def named_together(self, words: list[str]) -> bool:
        """As `PassageSearch.named_together`: some passage has every one of `words`."""
        terms = list(dict.fromkeys(t for w in words for t in stems(w)))
        if not terms or any(t not in self.engine.df for t in terms):  # type: ignore[union-attr]
            return False
        if len(terms) == 1:
            return True
        found = self.engine.conn().execute(  # type: ignore[union-attr]
            "SELECT 1 FROM vc_postings WHERE term = ANY(%s) GROUP BY pid "
            "HAVING count(DISTINCT term) = %s LIMIT 1",
            (terms, len(terms)),
        )
        return found.fetchone() is not None

    def rows_citing(self, identifier: str) -> np.ndarray:
        """As `PassageSearch.rows_citing` (the table travels with the vendor data)."""
        table = self.index.vendor_data.get("identifiers", {})
        return np.asarray(cited_rows(table, identifier), dtype=np.int64)

    def embed(self, text: str) -> np.ndarray:
        return self.embedder.embed([text])[0]

    def score_query(self, text: str, keywords: str | None = None) -> EngineScores:
        vector = self.embed(text)
        tokens = [t for t in dict.fromkeys(stems(keywords or text)) if t in self.engine.df]  # type: ignore[union-attr]
        return EngineScores(vector, tokens, LexicalScores(self, tokens))

    def dense_of(self, rows: np.ndarray, vector: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        out = np.zeros(len(rows), dtype=np.float32)
        if len(rows) == 0:
            return out
        pids = self.engine.pids[rows]  # type: ignore[union-attr]
        found = self.engine.conn().execute(  # type: ignore[union-attr]
            "SELECT pid, -(embedding <#> %s) FROM vc_passages WHERE pid = ANY(%s)",
            (np.asarray(vector, dtype=np.float32), pids.tolist()),
        )
        position = {int(pid): i for i, pid in enumerate(pids)}
        for pid, cosine in found:
            out[position[int(pid)]] = cosine
        return out

    def candidates(self, scores, n: int, where: RowFilter | None = None) -> np.ndarray:  # type: ignore[no-untyped-def]
        """The server's top n by cosine and top n by BM25, among passages passing `where`."""
        clause, params = filter_sql(where)
        conn = self.engine.conn()  # type: ignore[union-attr]
        conn.execute(f"SET hnsw.ef_search = {max(HNSW_EF_SEARCH, int(n))}")
        # With a filter, an exact scan of the passing passages (`+ 0` keeps the planner off
        # the HNSW index, whose top ef_search could hold too few passing ones).
        order = "(embedding <#> %(q)s)" + (" + 0" if where is not None else "")
        found = conn.execute(
            f"SELECT pid FROM vc_passages p WHERE {clause} ORDER BY {order} LIMIT %(n)s",
            params | {"q": np.asarray(scores.vector, dtype=np.float32), "n": n},
        )
        dense = self.engine.rows_of(np.array([p for (p,) in found], dtype=np.int64))  # type: ignore[union-attr]
        lexical = scores.lexical.top(n, where)
        return np.unique(np.concatenate([dense, lexical]).astype(np.int64))
