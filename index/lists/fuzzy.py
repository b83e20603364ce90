"""Typo-tolerant token lookup: a deletion-neighbourhood (SymSpell-style) index over tokens.

Comparing every query token with every list token is ~10^9 comparisons for a 10k-name register
against the full CSL. Instead each list token is stored under all the strings obtained by
deleting up to `max_edits` characters; a query token's deletions meet them exactly when the edit
distance can be within the bound (a swap of adjacent letters is one deletion on each side), and
rapidfuzz confirms the real distance (OSA: a transposition counts as one edit).
"""

from __future__ import annotations

from collections import defaultdict
from itertools import combinations

from rapidfuzz.distance import OSA

MIN_LENGTH = 5  # "zte" vs "aztec": short tokens only ever match exactly
MIN_SIMILARITY = 0.8


def max_edits(length: int) -> int:
    if length < MIN_LENGTH:
        return 0
    return 1 if length < 10 else 2


def _deletions(token: str, edits: int) -> set[str]:
    out = {token}
    for k in range(1, edits + 1):
        for drop in combinations(range(len(token)), k):
            out.add("".join(c for i, c in enumerate(token) if i not in drop))
    return out


class FuzzyTokens:
    def __init__(self, vocabulary: set[str]) -> None:
        self._by_deletion: dict[str, set[str]] = defaultdict(set)
        for token in vocabulary:
            for variant in _deletions(token, max_edits(len(token))):
                self._by_deletion[variant].add(token)
        self._cache: dict[str, list[tuple[str, float]]] = {}

    def similar(self, token: str) -> list[tuple[str, float]]:
        """Vocabulary tokens within the edit bound of `token` (not itself), with similarity."""
        cached = self._cache.get(token)
        if cached is not None:
            return cached
        edits = max_edits(len(token))
        found: dict[str, float] = {}
        if edits:
            for variant in _deletions(token, edits):
                for other in self._by_deletion.get(variant, ()):
                    if other == token or other in found or max_edits(len(other)) == 0:
                        continue
                    similarity = OSA.normalized_similarity(token, other)
                    if similarity >= MIN_SIMILARITY:
                        found[other] = similarity
        result = sorted(found.items(), key=lambda item: -item[1])
        if len(self._cache) < 500_000:
            self._cache[token] = result
        return result
