"""BM25 over passages (bm25s), stored beside the FAISS index in the same generation.

bm25s builds, saves and loads it (its CSC matrix of per-(term, passage) scores); queries score
it through `LexicalIndex.scores` (then `search/scoring.top_n`), with the terms of
`text/terms.py`, the tokenizer it was built with."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import bm25s
import numpy as np

from index.text.terms import tokenize

logging.getLogger("bm25s").setLevel(logging.WARNING)


class LexicalIndex:
    def __init__(self, retriever: bm25s.BM25, size: int) -> None:
        self.retriever = retriever
        self.size = size
        self.vocab: dict = getattr(retriever, "vocab_dict", {}) or {}
        self._best: dict[int, float] = {}  # term id -> its best score in any passage

    def scores(self, tokens: list[str]) -> np.ndarray:
        """Every passage's BM25 for `tokens` (all in `vocab`), float32 (bm25s's `get_scores`)."""
        return np.asarray(self.retriever.get_scores(tokens), dtype=np.float32)

    def ceiling(self, tokens: list[str]) -> float:
        """The best BM25 any passage could reach for `tokens`: the sum of each term's best
        (each term's best is computed once per loaded index)."""
        postings = self.retriever.scores
        total = 0.0
        for token in tokens:
            t = self.vocab[token]
            best = self._best.get(t)
            if best is None:
                start, end = postings["indptr"][t], postings["indptr"][t + 1]
                best = float(postings["data"][start:end].max()) if end > start else 0.0
                self._best[t] = best
            total += best
        return max(total, 1e-6)

    @classmethod
    def build(cls, texts: Sequence[str]) -> LexicalIndex:
        retriever = bm25s.BM25()
        tokens = tokenize(texts) if texts else []
        retriever.index(tokens or [[""]], show_progress=False)
        return cls(retriever, len(texts))

    def save(self, directory: Path) -> None:
        self.retriever.save(str(directory), show_progress=False)

    @classmethod
    def load(cls, directory: Path, size: int, mmap: bool = False) -> LexicalIndex:
        retriever = bm25s.BM25.load(str(directory), mmap=mmap, show_progress=False)
        return cls(retriever, size)
