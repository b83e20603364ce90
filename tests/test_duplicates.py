"""Near-duplicate grouping gives the same groups on the exact and the IVF (large-corpus) path."""

from __future__ import annotations

from datetime import date

import numpy as np

from index.articles import Article
from index.store.duplicates import find_duplicates


def _corpus(n: int = 400, pairs: int = 12, dim: int = 64):
    rng = np.random.default_rng(7)
    words = [f"w{i}" for i in range(5000)]
    texts = [" ".join(rng.choice(words, 80)) for _ in range(n)]
    vectors = rng.normal(size=(n, dim)).astype(np.float32)
    for k in range(pairs):  # article n-1-k republishes article k
        texts[n - 1 - k] = texts[k] + " Republished with permission."
        vectors[n - 1 - k] = vectors[k] + rng.normal(scale=0.05, size=dim)
    vectors /= np.linalg.norm(vectors, axis=1, keepdims=True)
    articles = [
        Article(id=f"a{i}", title=f"Story {i}", text=t, published=date(2024, 1, 1))
        for i, t in enumerate(texts)
    ]
    rows = np.array([(i, 0, len(t)) for i, t in enumerate(texts)], dtype=np.int32)
    return articles, rows, vectors, {frozenset((k, n - 1 - k)) for k in range(pairs)}


def test_exact_and_ivf_paths_find_the_same_wire_story_groups():
    articles, rows, vectors, expected = _corpus()
    exact = {frozenset(g) for g in find_duplicates(articles, rows, vectors)}
    approximate = {frozenset(g) for g in find_duplicates(articles, rows, vectors, exact_max=0)}
    assert exact == expected
    assert approximate == expected
