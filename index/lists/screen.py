"""Name screening against a ListSnapshot: exact, alias and fuzzy matches with a confidence.

Matching is on tokens (see normalize.py), never on substrings: "ZTE" does not match "Aztec",
and "Tech Data" does not match every name with "data" in it. For a query and a listed name:

- exact / alias: the same tokens (in any order, or the same letters without spaces), on the
  entry's primary name (exact) or one of its alt_names (alias): confidence 1.0 (0.98 spacing);
- fuzzy: tokens are aligned one to one (identical, or within a small edit distance), each
  weighted by how rare it is in the lists (IDF) and by rigour's judgement (industry words and
  places weigh little). When one name is contained in the other ("Hikvision" in "Hangzhou
  Hikvision Digital Technology") the confidence is 0.7 + 0.3 * coverage; otherwise it is the
  weighted share of the two names that aligns. Typos scale it down by their similarity. At
  least one token that is distinctive (not generic) on both sides must align.

The index (postings, IDF, typo neighbourhoods) is built once per snapshot.
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from dataclasses import dataclass
from typing import Any

from index.lists.fuzzy import FuzzyTokens
from index.lists.model import ListEntry, ListSnapshot
from index.lists.normalize import STRONG, WEAK, NormName, normalize

DEFAULT_THRESHOLD = 0.75
WEAK_FACTOR = 0.3
CANDIDATES = 40  # names fully scored per query, by shared token weight


@dataclass(frozen=True)
class ScreeningMatch:
    query: str
    entry: ListEntry
    matched_name: str
    confidence: float
    how: str  # "exact" | "alias" | "fuzzy"

    def to_json(self) -> dict[str, Any]:
        return {
            "query": self.query,
            "matched_name": self.matched_name,
            "confidence": round(self.confidence, 3),
            "how": self.how,
            "entry": self.entry.to_json(),
        }


@dataclass(frozen=True)
class _Name:
    entry: int
    text: str
    primary: bool
    norm: NormName


class ScreeningIndex:
    """Inverted token index over every name and alt_name of a snapshot's entries."""

    def __init__(
        self, snapshot: ListSnapshot | list[ListEntry], idf_from: ScreeningIndex | None = None
    ) -> None:
        """`idf_from`: weigh tokens as that (larger) index does, so that screening a few entries
        (a sync's changes) gives the confidence screening the whole lists would."""
        entries = snapshot.entries if isinstance(snapshot, ListSnapshot) else snapshot
        self.entries: list[ListEntry] = list(entries)
        self.names: list[_Name] = []
        self.postings: dict[str, list[int]] = defaultdict(list)
        self.by_key: dict[str, list[int]] = defaultdict(list)
        for e, entry in enumerate(self.entries):
            for position, text in enumerate(dict.fromkeys(entry.names)):
                norm = normalize(text)
                if not norm:
                    continue
                n = len(self.names)
                self.names.append(_Name(e, text, position == 0, norm))
                self.by_key[norm.key].append(n)
                self.by_key["=" + norm.compact].append(n)
                for token in set(norm.tokens):
                    self.postings[token].append(n)
        total = max(len(self.names), 1)
        self.idf = {t: math.log(1 + total / len(p)) for t, p in self.postings.items()}
        self.max_idf = math.log(1 + total)
        if idf_from is not None:
            self.idf = {t: idf_from.idf.get(t, idf_from.max_idf) for t in self.postings}
            self.max_idf = idf_from.max_idf
        self.fuzzy = FuzzyTokens(set(self.postings))

    def weight(self, token: str, kind: int) -> float:
        return self.idf.get(token, self.max_idf) * (WEAK_FACTOR if kind == WEAK else 1.0)

    def screen(self, query: str, threshold: float = DEFAULT_THRESHOLD) -> list[ScreeningMatch]:
        """Best match per list entry at or above `threshold`, highest confidence first."""
        norm = normalize(query)
        if not norm:
            return []
        scored: dict[int, tuple[float, int]] = {}  # name -> (confidence, ...)
        for n in self.by_key.get(norm.key, []):
            scored[n] = (1.0, n)
        for n in self.by_key.get("=" + norm.compact, []):
            scored.setdefault(n, (0.98, n))
        for n in self._candidates(norm):
            if n not in scored:
                scored[n] = (self._score(norm, self.names[n].norm), n)
        best: dict[int, ScreeningMatch] = {}
        for n, (confidence, _n) in scored.items():
            if confidence < threshold:
                continue
            name = self.names[n]
            how = "fuzzy" if confidence < 0.98 else ("exact" if name.primary else "alias")
            current = best.get(name.entry)
            if current is None or (confidence, how == "exact") > (
                current.confidence,
                current.how == "exact",
            ):
                best[name.entry] = ScreeningMatch(
                    query, self.entries[name.entry], name.text, confidence, how
                )
        return sorted(best.values(), key=lambda m: (-m.confidence, m.entry.start_date or ""))

    def _candidates(self, norm: NormName) -> list[int]:
        """Names sharing a (possibly misspelt) token, strongest shared weight first."""
        strong = [t for t, k in zip(norm.tokens, norm.kinds, strict=True) if k == STRONG]
        shared: Counter[int] = Counter()
        for token in strong or norm.tokens:
            variants = [(token, 1.0), *self.fuzzy.similar(token)]
            for variant, similarity in variants:
                gain = self.idf.get(variant, 0.0) * similarity
                for n in self.postings.get(variant, ()):
                    shared[n] += gain
        return [n for n, _gain in shared.most_common(CANDIDATES)]

    def _score(self, query: NormName, name: NormName) -> float:
        pairs = _align(query, name, self.fuzzy)
        if not any(query.kinds[i] == STRONG and name.kinds[j] == STRONG for i, j, _ in pairs):
            return 0.0
        q_w = [self.weight(t, k) for t, k in zip(query.tokens, query.kinds, strict=True)]
        n_w = [self.weight(t, k) for t, k in zip(name.tokens, name.kinds, strict=True)]
        matched = sum(s * (q_w[i] + n_w[j]) / 2 for i, j, s in pairs)
        q_left = sum(q_w) - sum(q_w[i] for i, _, _ in pairs)
        n_left = sum(n_w) - sum(n_w[j] for _, j, _ in pairs)
        similarity = sum(s for _, _, s in pairs) / len(pairs)
        coverage = matched / (matched + q_left + n_left)
        if q_left <= 1e-9 or n_left <= 1e-9:  # one name holds all of the other
            return (0.7 + 0.3 * coverage) * similarity * (0.97 if similarity < 1 else 1.0)
        return coverage * similarity


def _align(query: NormName, name: NormName, fuzzy: FuzzyTokens) -> list[tuple[int, int, float]]:
    """One-to-one token pairs (query index, name index, similarity): exact first, then typos."""
    pairs: list[tuple[int, int, float]] = []
    used: set[int] = set()
    position = {t: j for j, t in enumerate(name.tokens)}
    pending = []
    for i, token in enumerate(query.tokens):
        j = position.get(token)
        if j is not None and j not in used:
            pairs.append((i, j, 1.0))
            used.add(j)
        else:
            pending.append(i)
    for i in pending:
        token = query.tokens[i]
        plural = next(
            (j for j, t in enumerate(name.tokens) if j not in used and _same_stem(token, t)), None
        )
        if plural is not None:  # "labs" / "lab": too short for the typo rule, same word
            pairs.append((i, plural, 0.95))
            used.add(plural)
            continue
        for other, similarity in fuzzy.similar(token):
            j = position.get(other)
            if j is not None and j not in used:
                pairs.append((i, j, similarity))
                used.add(j)
                break
    return pairs


def _same_stem(a: str, b: str) -> bool:
    return len(a) >= 3 and len(b) >= 3 and a != b and a.rstrip("s") == b.rstrip("s")


def screen_names(
    snapshot: ListSnapshot, names: list[str], threshold: float = DEFAULT_THRESHOLD
) -> list[list[ScreeningMatch]]:
    index = index_for(snapshot)
    return [index.screen(name, threshold) for name in names]


_indexes: dict[int, tuple[ListSnapshot, ScreeningIndex]] = {}


def index_for(snapshot: ListSnapshot) -> ScreeningIndex:
    """The index of a snapshot, built once (snapshots are cached by store.load_snapshot)."""
    cached = _indexes.get(id(snapshot))
    if cached is not None and cached[0] is snapshot:
        return cached[1]
    index = ScreeningIndex(snapshot)
    _indexes.clear()
    _indexes[id(snapshot)] = (snapshot, index)
    return index
