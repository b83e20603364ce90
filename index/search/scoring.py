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


def top_n(scores: np.ndarray, n: int) -> np.ndarray:
    """Indexes of the n best positive scores, best first (only passages that match at all:
    an argpartition over every passage's mostly-zero score is the slow path at 100k)."""
    hits = np.flatnonzero(scores > 0)
    if len(hits) > n:
        values = scores[hits]
        # The n-th best value, by a partition of the values alone (cheaper than of indexes):
        # when no other hit ties it, the hits at or above it are exactly the n best.
        cut = np.partition(values, len(values) - n)[len(values) - n]
        best = values >= cut
        if np.count_nonzero(best) == n:
            hits = hits[best]
        else:  # ties at the cut: let argpartition pick, as it always did
            hits = hits[np.argpartition(-values, n - 1)[:n]]
    return hits[np.argsort(-scores[hits], kind="stable")]
