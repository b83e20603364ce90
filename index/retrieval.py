"""Query -> Answer: dense (FAISS) and lexical (BM25) search, fused, with honest abstention."""

from __future__ import annotations

import re
from dataclasses import dataclass

import numpy as np

from index.answer import Answer, ArticleRef, Result
from index.dense import search_dense
from index.embedding import Embedder
from index.highlight import key_sentences
from index.store import StoredIndex

MAX_QUERY_CHARS = 500  # longer queries are cut (with a note): the model reads ~256 tokens anyway
CANDIDATES = 50
RRF_K = 60
# Below this cosine, with no lexical match either, the best passage does not answer the query.
MIN_DENSE_SCORE = 0.30
MAX_PER_ARTICLE = 2
# Control characters, and lone surrogates (argv with invalid UTF-8, JSON "\udcff"): the
# tokenizer rejects the latter with a TypeError.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")

USAGE = 'Ask about a vendor, e.g. "is Kaspersky allowed on GSA?", or give a vendor name.'


def clean_query(raw: str) -> tuple[str, list[str]]:
    """Collapse control characters and whitespace; cut over-long queries. Returns notes too."""
    notes: list[str] = []
    text = " ".join(_CONTROL.sub(" ", raw or "").split())
    if len(text) > MAX_QUERY_CHARS:
        cut = text[:MAX_QUERY_CHARS].rsplit(" ", 1)[0] or text[:MAX_QUERY_CHARS]
        notes.append(
            f"Your question was {len(text):,} characters; only the first {len(cut)} were used."
        )
        text = cut
    return text, notes


@dataclass
class Candidate:
    row: int
    fused: float
    dense: float
    lexical: float


class Retriever:
    """Holds a loaded index and an embedder; answers queries. Create once, query many times."""

    def __init__(self, index: StoredIndex, embedder: Embedder) -> None:
        self.index = index
        self.embedder = embedder

    def ask(self, raw_query: str, k: int = 5) -> Answer:
        query, notes = clean_query(raw_query)
        if not query:
            return Answer(query="", kind="usage", message=USAGE)
        k = max(1, min(int(k), 50))
        candidates = self.candidates(query)
        if not candidates or (
            candidates[0].dense < MIN_DENSE_SCORE and all(c.lexical <= 0 for c in candidates)
        ):
            return Answer(
                query=query,
                kind="none",
                message=f"Nothing in the corpus answers {query!r}.",
                notices=notes,
            )
        results = self._results(query, candidates, k)
        sources = len({r.article.id for r in results})
        message = f"{len(results)} passage{'s' if len(results) != 1 else ''} from {sources} source{'s' if sources != 1 else ''}."
        return Answer(query=query, results=results, message=message, notices=notes)

    def candidates(self, query: str) -> list[Candidate]:
        vector = self.embedder.embed([query])[0]
        dense_ids, dense_scores = search_dense(self.index.dense, vector, CANDIDATES)
        lex_ids, lex_scores = self.index.lexical.search(query, CANDIDATES)
        fused: dict[int, Candidate] = {}
        for rank, (row, score) in enumerate(zip(dense_ids, dense_scores, strict=True)):
            c = fused.setdefault(int(row), Candidate(int(row), 0.0, 0.0, 0.0))
            c.fused += 1.0 / (RRF_K + rank + 1)
            c.dense = float(score)
        for rank, (row, score) in enumerate(zip(lex_ids, lex_scores, strict=True)):
            c = fused.setdefault(int(row), Candidate(int(row), 0.0, 0.0, 0.0))
            c.fused += 1.0 / (RRF_K + rank + 1)
            c.lexical = float(score)
        missing = [c for c in fused.values() if c.dense == 0.0]
        if missing:  # lexical-only hits: give them their true cosine for display
            rows = np.array([c.row for c in missing])
            stored = (
                self.index.dense.reconstruct_batch(rows)
                if hasattr(self.index.dense, "reconstruct_batch")
                else None
            )
            if stored is not None:
                for c, vec in zip(missing, stored @ vector, strict=True):
                    c.dense = float(vec)
        return sorted(fused.values(), key=lambda c: (-c.fused, -c.dense))

    def _results(self, query: str, candidates: list[Candidate], k: int) -> list[Result]:
        results: list[Result] = []
        per_article: dict[int, int] = {}
        for c in candidates:
            article_idx, start, end = (int(x) for x in self.index.passages[c.row])
            if per_article.get(article_idx, 0) >= MAX_PER_ARTICLE:
                continue
            per_article[article_idx] = per_article.get(article_idx, 0) + 1
            article = self.index.articles[article_idx]
            quote = article.text[start:end]
            results.append(
                Result(
                    rank=len(results) + 1,
                    score=c.dense,
                    quote=quote,
                    article=ArticleRef.of(article),
                    start=start,
                    end=end,
                    highlights=key_sentences(quote, query),
                )
            )
            if len(results) >= k:
                break
        return results
