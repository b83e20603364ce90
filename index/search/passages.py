"""Search primitives over one loaded index: dense and BM25 scores for passages, candidates.

Per query: one embedding, one BM25 scoring pass (numpy) and one FAISS search; cosines for
vendor passages come from the stored vectors (memory-mapped) instead of a second search.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from index.embed.model import Embedder
from index.search.filters import RowFilter
from index.search.scoring import top_n
from index.store.dense import search_dense
from index.store.reader import StoredIndex
from index.text.identifiers import cited_rows
from index.text.terms import stems

MAX_CACHED_WORDS = 65_536
MAX_KEPT_NAMES, MAX_KEPT_ROWS = 1024, 5_000  # names whose passages are kept, and their size


@dataclass
class QueryScores:
    """Per-query work done once: the query vector and every passage's normalised BM25."""

    vector: np.ndarray
    tokens: list[str]
    lexical: np.ndarray  # BM25 / ceiling, every passage, 0..1


class PassageSearch:
    def __init__(self, index: StoredIndex, embedder: Embedder) -> None:
        self.index = index
        self.embedder = embedder
        self._bm25 = index.lexical.retriever
        self._vocab: dict = index.lexical.vocab
        self._postings = self._bm25.scores
        self._identifiers: dict = index.vendor_data.get("identifiers", {})
        # The key-sentence picker asks the IDF of every word of every quoted sentence, the
        # planner the word pieces of every name: one array for the whole vocabulary, one
        # cache of words (benchmarks/profile_query.py).
        self._idf: np.ndarray | None = None
        self._pieces: dict[str, int] = {}
        self._together: dict[tuple[str, ...], bool] = {}
        self._naming: dict[tuple[str, ...], np.ndarray] = {}
        # The stored vectors as a plain array over the same mapped pages: indexing a
        # np.memmap goes through its Python-level __getitem__ on every read.
        self._vectors = np.asarray(index.vectors) if index.vectors is not None else None

    # ----------------------------------------------------------------------- vocabulary

    def known_word(self, word: str) -> bool:
        terms = stems(word)
        return not terms or all(t in self._vocab for t in terms)

    def idf(self, stem: str) -> float:
        token_id = self._vocab.get(stem)
        if token_id is None:
            return 0.0
        if self._idf is None:
            indptr = np.asarray(self._postings["indptr"], dtype=np.int64)
            df = np.append(np.diff(indptr), 0).astype(np.float64)  # a term past the end: 0
            self._idf = np.log(1 + (self.index.size - df + 0.5) / (df + 0.5))
        return float(self._idf[token_id])

    def word_pieces(self, word: str) -> int:
        """How many pieces the model's tokenizer cuts `word` into (its count includes the two
        special tokens around every input)."""
        cached = self._pieces.get(word)
        if cached is None:
            if len(self._pieces) >= MAX_CACHED_WORDS:
                self._pieces.clear()
            cached = self._pieces[word] = self.embedder.count_tokens([word])[0] - 2
        return cached

    def named_together(self, words: list[str]) -> bool:
        """Some passage contains every one of `words` (the rarest word's passages, narrowed by
        each other word with a lookup table: no sort of a long posting such as "networks")."""
        terms = tuple(dict.fromkeys(t for word in words for t in stems(word)))
        known = self._together.get(terms)
        if known is None:
            postings = [self._posting(t) for t in terms]
            if not postings or any(p is None for p in postings):
                known = False
            else:
                rows = min(postings, key=len)  # type: ignore[arg-type]
                for posting in postings:
                    if posting is not rows and len(rows):
                        rows = rows[np.isin(rows, posting, kind="table")]
                known = len(rows) > 0
            if len(self._together) >= MAX_CACHED_WORDS:
                self._together.clear()
            self._together[terms] = known
        return known

    def _posting(self, stem: str) -> np.ndarray | None:
        token_id = self._vocab.get(stem)
        if token_id is None:
            return None
        start, end = self._postings["indptr"][token_id : token_id + 2]
        return np.asarray(self._postings["indices"][start:end], dtype=np.int64)

    def rows_naming(self, words: list[str]) -> np.ndarray:
        """Passages that name the phrase `words`: those containing all of its words, or, when
        none does ("Shenzhen Da-Jiang Innovations Sciences and Technologies"), as many as
        possible, starting from the rarest word. Kept per name (read-only) when it is not one
        of the corpus's commonest words: the same vendors are asked about again and again."""
        key = tuple(words)
        rows = self._naming.get(key)
        if rows is None:
            rows = self._rows_naming(words)
            if len(rows) <= MAX_KEPT_ROWS:
                if len(self._naming) >= MAX_KEPT_NAMES:
                    self._naming.clear()
                rows.flags.writeable = False
                self._naming[key] = rows
        return rows

    def _rows_naming(self, words: list[str]) -> np.ndarray:
        found = (self._posting(t) for t in dict.fromkeys(t for w in words for t in stems(w)))
        postings = [p for p in found if p is not None]
        rows: np.ndarray | None = None
        for posting in sorted(postings, key=len):
            # A lookup table over the row range: no sort of the (often long) postings.
            narrowed = posting if rows is None else rows[np.isin(rows, posting, kind="table")]
            if len(narrowed):
                rows = narrowed
        return np.unique(rows) if rows is not None else np.zeros(0, dtype=np.int64)

    def rows_citing(self, identifier: str) -> np.ndarray:
        """Passages citing a rule or case number as written (`index.text.identifiers`)."""
        return np.asarray(cited_rows(self._identifiers, identifier), dtype=np.int64)

    # --------------------------------------------------------------------------- scores

    def embed(self, text: str) -> np.ndarray:
        return self.embedder.embed([text])[0]

    def score_query(self, text: str, keywords: str | None = None) -> QueryScores:
        """The question's vector (all of it) and BM25 over its `keywords` (default: all)."""
        vector = self.embed(text)
        tokens = [t for t in dict.fromkeys(stems(keywords or text)) if t in self._vocab]
        if not tokens or self.index.size == 0:
            return QueryScores(vector, tokens, np.zeros(self.index.size, dtype=np.float32))
        return QueryScores(vector, tokens, self.lexical_scores(tokens))

    def lexical_scores(self, tokens: list[str]) -> np.ndarray:
        """Every passage's BM25 for `tokens` (all in the vocabulary), over its ceiling: 0..1."""
        lexical = self.index.lexical
        raw = lexical.scores(tokens)
        return np.divide(raw, np.float32(lexical.ceiling(tokens)), out=raw)

    def dense_of(self, rows: np.ndarray, vector: np.ndarray) -> np.ndarray:
        """Cosines of `rows` (any order) to `vector`, read from the stored vectors."""
        if len(rows) == 0:
            return np.zeros(0, dtype=np.float32)
        vectors = self._vectors
        if vectors is not None:
            order = np.argsort(rows)
            out = np.empty(len(rows), dtype=np.float32)
            out[order] = np.asarray(vectors[rows[order]] @ vector, dtype=np.float32)
            return out
        return (self.index.dense.reconstruct_batch(rows) @ vector).astype(np.float32)

    def candidates(self, scores: QueryScores, n: int, where: RowFilter | None = None) -> np.ndarray:
        """Corpus-wide candidates: FAISS's top n by cosine plus BM25's top n, deduplicated."""
        if where is not None:
            return where.candidates(self, scores, n)
        dense_ids, _ = search_dense(self.index.dense, scores.vector, n)
        lexical_ids = top_n(scores.lexical, n) if scores.tokens else np.zeros(0, np.int64)
        return unique(np.concatenate([dense_ids, lexical_ids]).astype(np.int64))


def unique(values: np.ndarray) -> np.ndarray:
    """`np.unique(values)` for the 1-D integer arrays of one answer (rows, articles): a sort
    and a mask, without np.unique's general machinery, which costs more than the work here."""
    ordered = np.sort(values)
    if len(ordered) > 1:
        ordered = ordered[np.concatenate(([True], ordered[1:] != ordered[:-1]))]
    return ordered


def member(values: np.ndarray, pool: np.ndarray) -> np.ndarray:
    """`np.isin(values, pool)` for the few hundred rows or articles of one answer: a binary
    search in the sorted pool (np.isin's general machinery costs more than the work here)."""
    pool = unique(pool)
    if len(pool) == 0:
        return np.zeros(len(values), dtype=bool)
    at = np.searchsorted(pool, values)
    return pool[np.minimum(at, len(pool) - 1)] == values


def passage_search(index: StoredIndex, embedder: Embedder) -> PassageSearch:
    """The search primitives for `index`: local (FAISS, bm25s) or on the engine store's server."""
    if index.engine is not None:
        from index.search.pg_search import PgPassageSearch

        return PgPassageSearch(index, embedder)  # type: ignore[return-value]
    return PassageSearch(index, embedder)
