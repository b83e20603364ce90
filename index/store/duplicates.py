"""Near-duplicate articles: the same wire story republished by several outlets.

Computed at build time. Candidates come from the article vectors (mean of passage vectors):
each article's nearest neighbours by FAISS, exact up to EXACT_MAX_ARTICLES (a BLAS all-pairs
scan, quadratic but fast at that size), an IVF index beyond (near-duplicates at cosine >= 0.9
sit in the same or an adjacent cell, so a few probed cells find them). Each candidate pair is
confirmed by word-shingle overlap, so two different articles on the same topic (similar
vectors, different words) are never merged.
"""

from __future__ import annotations

from collections.abc import Sequence

import faiss
import numpy as np

from index.articles import Article
from index.vendors.names import words

NEIGHBOURS = 6
MIN_COSINE = 0.90
MIN_SHINGLE_OVERLAP = 0.5  # of the shorter article's shingles
MAX_DAYS_APART = 30
SHINGLE = 5
EXACT_MAX_ARTICLES = 20_000
IVF_NPROBE = 4


def _shingles(text: str) -> set[int]:
    w = words(text)
    return {hash(" ".join(w[i : i + SHINGLE])) for i in range(max(1, len(w) - SHINGLE + 1))}


def _close_in_time(a: Article, b: Article) -> bool:
    if a.published is None or b.published is None:
        return True
    return abs((a.published - b.published).days) <= MAX_DAYS_APART


def _neighbour_index(vectors: np.ndarray, exact_max: int) -> faiss.Index:
    n, dim = vectors.shape
    if n <= exact_max:
        index = faiss.IndexFlatIP(dim)
    else:
        nlist = max(1, min(int(2 * np.sqrt(n)), n // 40))
        index = faiss.IndexIVFFlat(faiss.IndexFlatIP(dim), dim, nlist, faiss.METRIC_INNER_PRODUCT)
        sample = vectors[np.random.default_rng(0).permutation(n)[: nlist * 40]]
        index.train(sample)
        index.nprobe = min(IVF_NPROBE, nlist)
    index.add(vectors)
    return index


def find_duplicates(
    articles: Sequence[Article],
    rows: np.ndarray,
    vectors: np.ndarray,
    exact_max: int = EXACT_MAX_ARTICLES,
) -> list[list[int]]:
    """Groups (article indexes, 2+ each) of near-duplicate articles."""
    n = len(articles)
    if n < 2 or len(rows) == 0:
        return []
    article_vectors = np.zeros((n, vectors.shape[1]), dtype=np.float32)
    np.add.at(article_vectors, rows[:, 0], vectors)
    norms = np.linalg.norm(article_vectors, axis=1, keepdims=True)
    article_vectors /= np.maximum(norms, 1e-9)
    index = _neighbour_index(article_vectors, exact_max)
    scores, ids = index.search(article_vectors, min(NEIGHBOURS, n))
    parent = list(range(n))

    def find(i: int) -> int:
        while parent[i] != i:
            parent[i] = parent[parent[i]]
            i = parent[i]
        return i

    shingles: dict[int, set[int]] = {}
    for i in range(n):
        for score, j in zip(scores[i], ids[i], strict=True):
            if j <= i or score < MIN_COSINE or not _close_in_time(articles[i], articles[j]):
                continue
            a = shingles.setdefault(i, _shingles(articles[i].text))
            b = shingles.setdefault(int(j), _shingles(articles[int(j)].text))
            if len(a & b) / max(1, min(len(a), len(b))) >= MIN_SHINGLE_OVERLAP:
                parent[find(i)] = find(int(j))
    groups: dict[int, list[int]] = {}
    for i in range(n):
        groups.setdefault(find(i), []).append(i)
    return [g for g in groups.values() if len(g) > 1]
