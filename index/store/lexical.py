"""BM25 over passages (bm25s), stored beside the FAISS index in the same generation."""

from __future__ import annotations

import logging
import re
from collections.abc import Sequence
from functools import lru_cache
from pathlib import Path

import bm25s
import numpy as np

# Tokens like "17-01", "889" and "GSA" matter in vendor-risk questions: keep 2+ char words,
# and single digits too.
TOKEN_PATTERN = r"(?u)\b\w\w+\b|\b\d\b"

logging.getLogger("bm25s").setLevel(logging.WARNING)


@lru_cache(maxsize=1)
def _stemmer():  # type: ignore[no-untyped-def]
    import Stemmer

    return Stemmer.Stemmer("english")


_split = re.compile(TOKEN_PATTERN).findall


@lru_cache(maxsize=1)
def _stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


def tokenize(texts: Sequence[str]) -> list[list[str]]:
    """What `bm25s.tokenize(texts, stopwords="en", stemmer=..., return_ids=False)` returns.

    Done directly because that call costs ~0.1-0.6 ms of fixed overhead per call (three tqdm
    bars even when disabled, a fresh stopword set per text), and a query tokenizes ~15 times
    (search plus key sentences of every result). Lower-case, split, drop stopwords, then stem,
    in bm25s's order; tests check the output is identical.
    """
    stop, stem = _stopwords(), _stemmer().stemWords
    out = []
    for text in texts:
        tokens = [t for t in _split(text.lower()) if t not in stop]
        out.append(stem(tokens) if tokens else [])
    return out


class LexicalIndex:
    def __init__(self, retriever: bm25s.BM25, size: int) -> None:
        self.retriever = retriever
        self.size = size
        self.vocab: dict = getattr(retriever, "vocab_dict", {}) or {}

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

    def search(self, query: str, k: int) -> tuple[np.ndarray, np.ndarray]:
        """(passage ids, scores), best first; empty when no query term is in the corpus."""
        tokens = [t for t in tokenize([query])[0] if t in self.vocab]
        k = min(k, self.size)
        if not tokens or k <= 0:
            return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
        # Top-k over the passages that match at all. bm25s's own `retrieve` runs argpartition
        # over every passage's score, mostly zeros: with that many ties numpy's introselect
        # degrades, ~15 ms at 100k passages for a query with a common word (benchmarks/).
        scores = self.retriever.get_scores(tokens)
        hits = np.flatnonzero(scores > 0)
        if len(hits) > k:
            hits = hits[np.argpartition(-scores[hits], k - 1)[:k]]
        order = hits[np.lexsort((hits, -scores[hits]))]  # best first, ties by passage order
        return order.astype(np.int64), scores[order].astype(np.float32)
