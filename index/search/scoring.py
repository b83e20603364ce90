"""Scoring as pure functions over numpy arrays: no index, no model, easy to test and fit.

The retriever computes, per query, a dense cosine and a BM25 score for each candidate passage
and how many of the things the question names the passage names; these functions turn them
into one score.
"""

from __future__ import annotations

import numpy as np

from index.search.params import RankingParams


def fuse(
    dense: np.ndarray, lexical: np.ndarray, names_vendor: np.ndarray, params: RankingParams
) -> np.ndarray:
    """The shipped passage score: convex fusion of cosine and normalised BM25, plus the
    vendor bonus for each asked-about thing the passage names (`names_vendor`: counts, all
    zero when the question names nothing)."""
    return (
        params.alpha * dense
        + (1 - params.alpha) * lexical
        + params.passage_vendor_bonus * names_vendor
    )


def brief_score(about: np.ndarray, action: np.ndarray, params: RankingParams) -> np.ndarray:
    """How well a passage serves a bare vendor query: about the vendor, and decisive.

    `about` is the cosine to the vendor's name, `action` the cosine to a description of a
    government action (ban, list addition, rule, order, ruling): a product review or an
    earnings story scores low on the second.
    """
    w = params.brief_action_weight
    return (1 - w) * about + w * action


GROUP = 64  # passages per group whose best score bounds the n-th best one (`top_n`)


def top_n(scores: np.ndarray, n: int) -> np.ndarray:
    """Indexes of the n best positive scores, best first (only passages that match at all:
    an argpartition over every passage's mostly-zero score is the slow path at 100k)."""
    hits = _near_top(scores, n)
    if hits is None:
        hits = np.flatnonzero(scores > 0)
    if len(hits) > n:
        values = scores[hits]
        # The n-th best value, by a partition of the values alone (cheaper than of indexes):
        # when no other hit ties it, the hits at or above it are exactly the n best.
        cut = np.partition(values, len(values) - n)[len(values) - n]
        best = values >= cut
        if np.count_nonzero(best) == n:
            hits = hits[best]
        else:  # ties at the cut: let argpartition pick among every hit, as it always did
            hits = np.flatnonzero(scores > 0)
            hits = hits[np.argpartition(-scores[hits], n - 1)[:n]]
    return hits[np.argsort(-scores[hits], kind="stable")]


def _near_top(scores: np.ndarray, n: int) -> np.ndarray | None:
    """The passages (ascending) scoring at least the n-th best of the best scores of groups of
    `GROUP` passages, or None when that narrows nothing. That bound is at most the n-th best
    score (n groups each hold a score at least as high), so these passages include every score
    at or above the n-th best, ties too: their n best are the n best of all. A group is every
    `len // GROUP`-th passage (a column of the scores seen as GROUP rows), so the groups' best
    scores are one vectorised pass, where gathering and partitioning every match is three."""
    groups = len(scores) // GROUP
    if groups <= n or n <= 0:
        return None
    tops = scores[: groups * GROUP].reshape(GROUP, groups).max(axis=0)
    bound = np.partition(tops, groups - n)[groups - n]
    if not bound > 0:  # fewer than n groups match at all
        return None
    rows = (np.flatnonzero(tops >= bound) + np.arange(GROUP)[:, None] * groups).ravel()
    rows = np.concatenate([rows, np.arange(groups * GROUP, len(scores))])  # the last few
    rows = rows[scores[rows] >= bound]
    rows.sort()
    return rows
