"""The search primitives of `passages.PassageSearch`, answered by the engine store's server.

Same methods, same numbers: cosines are pgvector inner products of the same normalised
vectors, BM25 is bm25s's formula over the server's postings (`store/pg_schema.py`), divided by
the same ceiling. Filters (`filters.RowFilter`) go into the SQL, so the server's top n is taken
among passing passages. The ranking itself stays in `retriever.py` / `scoring.py`, shared.

Round trips: one statement per question brings the dense top n, the lexical top n and the
cosine and BM25 of each of them (`_CANDIDATES`); the rows the ranking adds (passages naming
what is asked about) cost one more, for both scores at once. Measured per statement with
`python -m benchmarks.store_parity ... --size 100k --profile` (benchmarks/RESULTS.md).
"""

from __future__ import annotations

import threading
from dataclasses import dataclass
from functools import lru_cache

import numpy as np

from index.embed.model import Embedder
from index.search.filters import RowFilter
from index.store.reader import StoredIndex
from index.text.identifiers import cited_rows
from index.text.terms import stems

MAX_CACHED = 65_536  # words, per loaded version
HNSW_EF_SEARCH = 100  # HNSW candidate list; at least the n asked for (params.candidates: 50)

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
LEXICAL_RESCORE = 100  # of those, how many passages are scored in full

_TERMS = "q(term, idf) AS (SELECT * FROM unnest(%(terms)s::text[], %(idf)s::float8[]))"

# The lexical top n (`l`) and the ceiling (`m`), exact: every posting of the query's terms.
_EXACT_TOP = f"""
    w AS (SELECT p.pid, q.term, {_WEIGHT} AS w FROM vc_postings p JOIN q USING (term)),
    s AS (SELECT pid, sum(w) AS s FROM w GROUP BY pid),
    l AS (SELECT s.pid, s.s FROM s {{passing}} ORDER BY s.s DESC, s.pid LIMIT %(n)s),
    m AS (SELECT sum(m) AS ceiling FROM (SELECT max(w) AS m FROM w GROUP BY term) t)"""

# The same from each term's `LEXICAL_DEPTH` highest-impact postings: the `LEXICAL_RESCORE`
# passages with the best sum over those postings are scored in full, and the best n kept.
_DEEP_TOP = f"""
    c AS (SELECT q.term, p.pid, {_WEIGHT} AS w FROM q CROSS JOIN LATERAL
          (SELECT pid, tf, dl FROM vc_postings t WHERE t.term = q.term
           ORDER BY t.impact DESC LIMIT %(depth)s) p),
    k AS (SELECT pid FROM c GROUP BY pid ORDER BY sum(w) DESC, pid LIMIT %(rescore)s),
    s AS (SELECT k.pid, {{bm25}} AS s FROM k),
    l AS (SELECT pid, s FROM s ORDER BY s DESC, pid LIMIT %(n)s),
    m AS (SELECT sum(m) AS ceiling FROM (SELECT max(w) AS m FROM c GROUP BY term) t)"""

# BM25 of one passage `{pid}` over the query's terms: a (term, passage) key lookup per term.
_BM25_OF = f"""(SELECT coalesce(sum({_WEIGHT}), 0) FROM q CROSS JOIN LATERAL
    (SELECT tf, dl FROM vc_postings t WHERE t.term = q.term AND t.pid = {{pid}} LIMIT 1) p)"""

# One statement per question: the dense top n (`d`) and the lexical top n (`l`) among passing
# passages, and for each of them its cosine and BM25 (which the ranking asks for next).
_CANDIDATES = """
    WITH {terms}, d AS (SELECT p.pid FROM vc_passages p WHERE {clause} ORDER BY {order}
    LIMIT %(n)s), {lexical}, u AS (SELECT pid FROM d UNION SELECT pid FROM l)
    SELECT u.pid, -(v.embedding <#> %(q)s), coalesce(l.s, {bm25}), (SELECT ceiling FROM m)
    FROM u JOIN vc_passages v USING (pid) LEFT JOIN l USING (pid)"""

# Cosine and BM25 of given passages (named by the question but not among the candidates).
_SCORES_OF = """
    WITH {terms} SELECT v.pid, -(v.embedding <#> %(q)s), {bm25}
    FROM vc_passages v WHERE v.pid = ANY(%(pids)s)"""


def candidates_sql(where: RowFilter | None, deep: bool) -> tuple[str, dict]:
    """The one-statement candidates query for a filter (see `_CANDIDATES`), its parameters."""
    clause, params = filter_sql(where)
    if deep:
        lexical = _DEEP_TOP.format(bm25=_BM25_OF.format(pid="k.pid"))
    else:
        passing = f"JOIN vc_passages p USING (pid) WHERE {clause}" if where is not None else ""
        lexical = _EXACT_TOP.format(passing=passing)
    # With a filter, an exact scan of the passing passages (`+ 0` keeps the planner off the
    # HNSW index, whose top ef_search could hold too few passing ones).
    order = "(p.embedding <#> %(q)s)" + (" + 0" if where is not None else "")
    sql = _CANDIDATES.format(
        terms=_TERMS, clause=clause, order=order, lexical=lexical,
        bm25=_BM25_OF.format(pid="u.pid"),
    )  # fmt: skip
    return sql, params


class LexicalScores:
    """Normalised BM25 of passages for one query's terms, computed by the server: the
    candidates statement brings the candidates' cosines and BM25 with them (`found`), other
    rows are asked for in one statement when the ranking needs them."""

    def __init__(self, search: PgPassageSearch, tokens: list[str], vector: np.ndarray) -> None:
        self.search, self.tokens, self.vector = search, tokens, vector
        self.ceiling: float | None = None
        self.found: dict[int, tuple[float, float]] = {}  # pid -> (cosine, raw BM25)

    def params(self) -> dict:
        engine = self.search.engine
        k1, b = engine.bm25
        idf = [self.search.idf(t) for t in self.tokens]
        return {
            "terms": self.tokens, "idf": idf, "k1": k1, "b": b, "avgdl": engine.avgdl,
            "q": np.asarray(self.vector, dtype=np.float32), "depth": LEXICAL_DEPTH,
            "rescore": LEXICAL_RESCORE,
        }  # fmt: skip

    def top(self, n: int, where: RowFilter | None = None) -> np.ndarray:
        """The dense top n and the lexical top n among passing passages, in one statement.

        Lexical: exact (every posting of the query's terms scored) up to `EXACT_LEXICAL`
        passages or with a filter; above, each term's `LEXICAL_DEPTH` highest-impact postings
        pick the candidates, which are then scored in full (common terms carry little weight)."""
        engine = self.search.engine
        deep = where is None and engine.size > EXACT_LEXICAL
        sql, extra = candidates_sql(where, deep)
        found = engine.conn().execute(sql, self.params() | extra | {"n": n}).fetchall()
        for pid, cosine, bm25, ceiling in found:
            self.found[int(pid)] = (float(cosine), float(bm25))
            if ceiling is not None:
                self.ceiling = max(float(ceiling), 1e-6)
        return engine.rows_of(np.array([row[0] for row in found], dtype=np.int64))

    def _ceiling(self) -> float:
        """The best BM25 any passage could reach: the sum of each term's best (as
        `LexicalIndex.ceiling`), from each term's highest-impact postings."""
        sql = f"""
            WITH {_TERMS} SELECT sum(m) FROM (SELECT max({_WEIGHT}) AS m FROM q CROSS JOIN
            LATERAL (SELECT tf, dl FROM vc_postings t WHERE t.term = q.term ORDER BY t.impact
            DESC LIMIT %(depth)s) p GROUP BY q.term) x"""
        found = self.search.engine.conn().execute(sql, self.params()).fetchone()
        return max(float(found[0] or 0.0), 1e-6)

    def _fill(self, pids: np.ndarray) -> None:
        """Cosine and BM25 of the passages not yet known, in one statement."""
        missing = [int(p) for p in pids if int(p) not in self.found]
        if not missing:
            return
        sql = _SCORES_OF.format(terms=_TERMS, bm25=_BM25_OF.format(pid="v.pid"))
        params = self.params() | {"pids": missing}
        for pid, cosine, bm25 in self.search.engine.conn().execute(sql, params).fetchall():
            self.found[int(pid)] = (float(cosine), float(bm25))

    def cosines(self, rows: np.ndarray) -> np.ndarray:
        """Cosines of `rows` to this query's vector."""
        pids = self.search.engine.pids[np.asarray(rows, dtype=np.int64)]
        self._fill(pids)
        return np.array([self.found[int(p)][0] for p in pids], dtype=np.float32)

    def __getitem__(self, rows: np.ndarray) -> np.ndarray:
        """Normalised BM25 of `rows`."""
        rows = np.asarray(rows, dtype=np.int64)
        if not self.tokens or len(rows) == 0:
            return np.zeros(len(rows), dtype=np.float32)
        if self.ceiling is None:
            self.ceiling = self._ceiling()
        pids = self.search.engine.pids[rows]
        self._fill(pids)
        raw = np.array([self.found[int(p)][1] for p in pids], dtype=np.float64)
        return (raw / self.ceiling).astype(np.float32)


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
        self._local = threading.local()  # this thread's question (its known scores)
        # Asked many times per question (IDF of every word of every quoted sentence, word
        # pieces of every name) and fixed for one loaded version: kept, as the local store
        # keeps them (a reload makes a new PgPassageSearch).
        self.idf = lru_cache(maxsize=MAX_CACHED)(self._idf)  # type: ignore[method-assign]
        self.word_pieces = lru_cache(maxsize=MAX_CACHED)(self._word_pieces)  # type: ignore[method-assign]
        self._together = lru_cache(maxsize=MAX_CACHED)(self._named_together)

    def known_word(self, word: str) -> bool:
        return all(t in self.engine.df for t in stems(word))  # type: ignore[union-attr]

    def _idf(self, stem: str) -> float:
        df = self.engine.df.get(stem)  # type: ignore[union-attr]
        if df is None:
            return 0.0
        return float(np.log(1 + (self.index.size - df + 0.5) / (df + 0.5)))

    def _word_pieces(self, word: str) -> int:
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
        return self._together(tuple(dict.fromkeys(t for w in words for t in stems(w))))

    def _named_together(self, terms: tuple[str, ...]) -> bool:
        if not terms or any(t not in self.engine.df for t in terms):  # type: ignore[union-attr]
            return False
        if len(terms) == 1:
            return True
        # The rarest term's passages, each checked for the others by key lookups, up to the
        # first that has them all (grouping every posting of common terms took 3-17 ms).
        rarest, *others = sorted(terms, key=lambda t: self.engine.df[t])  # type: ignore[union-attr]
        found = self.engine.conn().execute(  # type: ignore[union-attr]
            "SELECT 1 FROM vc_postings a WHERE a.term = %s AND (SELECT count(*) FROM "
            "vc_postings b WHERE b.term = ANY(%s) AND b.pid = a.pid) = %s LIMIT 1",
            (rarest, others, len(others)),
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
        return EngineScores(vector, tokens, LexicalScores(self, tokens, vector))

    def dense_of(self, rows: np.ndarray, vector: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        if len(rows) == 0:
            return np.zeros(0, dtype=np.float32)
        last = getattr(self._local, "scores", None)
        if last is not None and vector is last.vector:  # the question's: known, or asked once
            return last.lexical.cosines(rows)
        out = np.zeros(len(rows), dtype=np.float32)
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
        """The server's top n by cosine and top n by BM25, among passages passing `where`,
        with their cosines and BM25 (one statement)."""
        self.engine.ef_search(max(HNSW_EF_SEARCH, int(n)))  # type: ignore[union-attr]
        self._local.scores = scores
        return np.unique(scores.lexical.top(n, where))
