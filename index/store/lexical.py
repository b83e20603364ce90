"""BM25 over passages (bm25s), stored beside the FAISS index in the same generation.

Queries score it through `search/passages.py` (bm25s's `get_scores`, then `scoring.top_n`),
with the terms of `text/terms.py`, the tokenizer it was built with."""

from __future__ import annotations

import logging
from collections.abc import Sequence
from pathlib import Path

import bm25s

from index.text.terms import tokenize

logging.getLogger("bm25s").setLevel(logging.WARNING)


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
