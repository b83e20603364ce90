"""BM25's top n on the query path (issue 14): `scoring.top_n` narrows the search to the groups
of passages that can reach the n-th best score, and must give what the plain partition over
every match gives, to the element and in the same order (ties at the n-th best included: a
narrowing that drops a tied passage changes an answer's candidates)."""

from __future__ import annotations

import numpy as np
import pytest

from index.search.scoring import GROUP, top_n
from index.store.lexical import LexicalIndex

WORDS = [f"w{i}" for i in range(40)]


@pytest.fixture(scope="module")
def lexical() -> LexicalIndex:
    rng = np.random.default_rng(14)
    # Skewed term frequencies and lengths: scores of many magnitudes, summed over many terms.
    texts = [
        " ".join(rng.choice(WORDS, size=int(rng.integers(3, 60)), p=_zipf(len(WORDS))))
        for _ in range(3_000)
    ]
    return LexicalIndex.build(texts)


def _zipf(n: int) -> np.ndarray:
    weights = 1.0 / np.arange(1, n + 1)
    return weights / weights.sum()


def _queries(lexical: LexicalIndex) -> list[list[str]]:
    rng = np.random.default_rng(1)
    vocab = sorted(t for t in lexical.vocab if t)  # bm25s's empty token has no postings
    return [
        list(rng.choice(vocab, size=int(rng.integers(1, 9)), replace=False)) for _ in range(300)
    ]


def _plain_top_n(scores: np.ndarray, n: int) -> np.ndarray:
    """`top_n` before the narrowing: every match gathered and partitioned."""
    hits = np.flatnonzero(scores > 0)
    if len(hits) > n:
        values = scores[hits]
        cut = np.partition(values, len(values) - n)[len(values) - n]
        best = values >= cut
        if np.count_nonzero(best) == n:
            hits = hits[best]
        else:
            hits = hits[np.argpartition(-values, n - 1)[:n]]
    return hits[np.argsort(-scores[hits], kind="stable")]


def test_top_n_is_the_plain_partition_over_every_match(lexical):
    rng = np.random.default_rng(7)
    arrays = [lexical.scores(tokens) for tokens in _queries(lexical)[:60]]
    for _ in range(300):
        size = int(rng.integers(GROUP * 51, GROUP * 400))
        kind = rng.integers(4)
        values = rng.random(size)
        if kind == 1:  # few distinct values: ties at the n-th best
            values = np.round(values * 6)
        elif kind == 2:  # sparse matches, as BM25 over rare terms
            values = values * (rng.random(size) < 0.05)
        elif kind == 3:  # negatives and zeros (cosines shifted, as filters pass them)
            values = values - 0.7
        arrays.append(values.astype(np.float32 if kind != 3 else np.float64))
    narrowed = 0
    for scores in arrays:
        for n in (1, 20, 50):
            got = top_n(scores, n)
            expected = _plain_top_n(scores, n)
            assert got.dtype == expected.dtype
            assert got.tobytes() == expected.tobytes()
        narrowed += len(scores) // GROUP > 50 and np.count_nonzero(scores > 0) > 50
    assert narrowed > 100  # the narrowed branch was taken, not only the plain one
    assert len(top_n(np.zeros(10, np.float32), 5)) == 0
