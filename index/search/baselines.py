"""Single-retriever baselines that `vendorcheck eval` and the benchmarks compare against.

Dense-only: FAISS cosine top-k, abstaining below the original engine's fixed cosine. Lexical-
only: BM25 top-k, abstaining when no passage shares a term. No vendor logic, no fusion. Not
used to answer users.
"""

from __future__ import annotations

import numpy as np

from index.embed.model import Embedder
from index.search.assemble import ResultBuilder
from index.search.passages import PassageSearch
from index.search.plan import USAGE, clean_query
from index.search.results import Answer
from index.search.scoring import top_n
from index.store.dense import search_dense
from index.store.reader import StoredIndex

MIN_DENSE_SCORE = 0.30  # the original dense-only engine's abstention cut, kept as it was
DEPTH = 50


class BaselineRetriever:
    def __init__(self, index: StoredIndex, embedder: Embedder, mode: str) -> None:
        if mode not in ("dense", "lexical"):
            raise ValueError(f"unknown baseline {mode!r}")
        self.mode = mode
        self.search = PassageSearch(index, embedder)
        self.builder = ResultBuilder(index, self.search.idf)

    def ask(self, raw_query: str, k: int = 5) -> Answer:
        query, notes = clean_query(raw_query)
        if not query:
            return Answer(query="", kind="usage", message=USAGE)
        scores = self.search.score_query(query)
        if self.mode == "dense":
            rows, values = search_dense(self.search.index.dense, scores.vector, DEPTH)
            if len(rows) and values[0] < MIN_DENSE_SCORE:
                rows = rows[:0]
        else:
            rows = top_n(scores.lexical, DEPTH)
            values = scores.lexical[rows]
        if len(rows) == 0:
            message = f"Nothing in the corpus answers {query!r}."
            return Answer(query=query, kind="none", message=message, notices=notes)
        results = self.builder.results(query, rows, np.asarray(values, dtype=np.float32), k)
        return Answer(query=query, results=results, notices=notes)
