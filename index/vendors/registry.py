"""Query time: the vendor lookups of one loaded generation (`VendorIndex`), and what a query
says about vendors (`VendorMatch`).

Everything here reads `vendors.json`, written by the builder from `extract.build_vendor_data`;
the lookup tables and per-vendor passage rows are precomputed there or at load time, so matching
a query is a few dictionary lookups plus one rapidfuzz call.
"""

from __future__ import annotations

import re
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, field

import numpy as np
from rapidfuzz import fuzz, process

from index.articles import Article
from index.vendors.extract import build_vendor_data
from index.vendors.names import (
    CORPORATE_FORMS,
    LEGAL_FORMS,
    NOT_VENDORS,
    QUESTION_WORDS,
    words,
)
from index.vendors.proper import NameTerms

VENDORS_FILE = "vendors.json"
# rapidfuzz ratio cut-offs for reading a query word as a misspelt vendor name.
FUZZY_LONG, FUZZY_SHORT, FUZZY_KNOWN_WORD = 80, 86, 90
_TOKEN = re.compile(r"[^\W_][\w&'’\-]*")


@dataclass
class VendorMatch:
    """What a query says about vendors."""

    covered: list[str] = field(default_factory=list)  # entity keys with articles about them
    passing: list[str] = field(default_factory=list)  # named in the corpus, no article about them
    fuzzy: dict[str, str] = field(default_factory=dict)  # query word -> entity key (misspelling)
    matched_words: set[int] = field(default_factory=set)  # indexes into `tokens`
    tokens: list[tuple[str, str]] = field(default_factory=list)  # (original, lower) words
    spans: dict[str, list[int]] = field(default_factory=dict)  # entity key -> its token indexes


class VendorIndex:
    """Vendor lookups for one loaded generation."""

    def __init__(self, data: dict, passages: np.ndarray, articles: Sequence[Article]) -> None:
        self.entities: dict[str, dict] = data.get("entities", {})
        self.lookup: dict[str, str] = data.get("lookup", {})
        self.about: list[list[str]] = data.get("about", [[] for _ in articles])
        self.mentions: dict[str, np.ndarray] = {
            k: np.asarray(v, dtype=np.int64) for k, v in data.get("mentions", {}).items()
        }
        self.articles = articles
        self.names = NameTerms(data.get("proper", {}))
        self.acronyms: dict[str, str] = data.get("acronyms", {})  # absent in older generations
        self.about_articles: dict[str, list[int]] = defaultdict(list)
        for idx, keys in enumerate(self.about):
            for key in keys:
                self.about_articles[key].append(idx)
        article_col = passages[:, 0] if len(passages) else np.zeros(0, dtype=np.int32)
        self._first = np.searchsorted(article_col, np.arange(len(articles) + 1))
        # Fuzzy matching only against vendors the corpus actually covers, spelt 4+ letters.
        self._fuzzy_forms = sorted(
            {f for f, k in self.lookup.items() if k in self.about_articles and len(f) >= 4}
        )
        self._form_lengths = np.array([len(f) for f in self._fuzzy_forms], dtype=np.int64)
        self._forms_within: dict[tuple[int, int], list[str]] = {}
        self._fuzzy_best: dict[tuple[str, int], tuple | None] = {}
        self._covered: list[str] | None = None

    @classmethod
    def build_in_memory(
        cls,
        articles: Sequence[Article],
        passages: np.ndarray,
        aliases: dict[str, list[str]] | None = None,
    ) -> VendorIndex:
        rows = [tuple(int(x) for x in r) for r in passages]
        return cls(build_vendor_data(articles, rows, aliases or {}), passages, articles)

    def name(self, key: str) -> str:
        return self.entities.get(key, {}).get("name", key)

    def is_vendorish(self, key: str) -> bool:
        """A known vendor, or a name the corpus shows acting like a company."""
        entity = self.entities.get(key, {})
        return bool(entity.get("vendor") or entity.get("acts"))

    def is_company(self, phrase: str) -> bool:
        """The corpus shows `phrase` as a company's name, short as it may be ("ZTE" from "ZTE
        Corporation", "DJI" as an article's subject): a vendor, or a name written with a legal
        form; never a place. (Acting like one, "the FCC said", is not enough: agencies act.)"""
        key = self.lookup.get(phrase, phrase)
        entity = self.entities.get(key)
        if not entity or entity.get("place"):
            return False
        name = words(entity.get("name", ""))
        legal = bool(name) and name[-1] in LEGAL_FORMS
        return bool(entity.get("vendor") or legal)

    def is_curated(self, key: str) -> bool:
        """Named by a person (alias file, front matter), not guessed from the text."""
        return self.entities.get(key, {}).get("source") in ("aliases", "front matter")

    def is_place(self, phrase: str) -> bool:
        """A name the builder found to be a country, US state or city (`names.is_place`)."""
        key = self.lookup.get(phrase, phrase)
        return bool(self.entities.get(key, {}).get("place"))

    def is_covered(self, key: str) -> bool:
        return key in self.about_articles

    def covered(self) -> list[str]:
        if self._covered is None:  # fixed for a loaded generation
            self._covered = sorted(self.about_articles, key=lambda k: -len(self.about_articles[k]))
        return list(self._covered)

    def closest_form(self, word: str, cutoff: int) -> tuple | None:
        """rapidfuzz's best form for `word` at `cutoff`, remembered per word: questions reuse
        the same few words ("allowed", "banned", "breach"), the forms are fixed per index."""
        key = (word, cutoff)
        if key not in self._fuzzy_best:
            if len(self._fuzzy_best) >= 65_536:
                self._fuzzy_best.clear()
            self._fuzzy_best[key] = process.extractOne(
                word, self.forms_within(len(word), cutoff), scorer=fuzz.ratio, score_cutoff=cutoff
            )
        return self._fuzzy_best[key]

    def forms_within(self, length: int, cutoff: int) -> list[str]:
        """The fuzzy forms that can reach `cutoff` (fuzz.ratio) against a word of `length`
        letters, in `_fuzzy_forms` order. ratio = 200 * matches / (len1 + len2) <= 200 *
        min / (len1 + len2), so only lengths in [L c / (2 - c), L (2 - c) / c] (c = cutoff /
        100) can reach it; extractOne over these returns what it returns over all forms, at a
        fraction of the comparisons (benchmarks/profile_query.py)."""
        key = (length, cutoff)
        forms = self._forms_within.get(key)
        if forms is None:
            c = cutoff / 100
            low, high = length * c / (2 - c), length * (2 - c) / c
            keep = (self._form_lengths >= low - 1e-9) & (self._form_lengths <= high + 1e-9)
            forms = self._forms_within[key] = [self._fuzzy_forms[i] for i in np.flatnonzero(keep)]
        return forms

    def article_rows(self, article_idx: int) -> np.ndarray:
        return np.arange(self._first[article_idx], self._first[article_idx + 1])

    def about_rows(self, key: str) -> np.ndarray:
        parts = [self.article_rows(a) for a in self.about_articles.get(key, [])]
        return np.concatenate(parts) if parts else np.zeros(0, dtype=np.int64)

    def mention_rows(self, key: str) -> np.ndarray:
        return self.mentions.get(key, np.zeros(0, dtype=np.int64))

    def match(self, query: str, known_word: callable = lambda w: False) -> VendorMatch:  # type: ignore[valid-type]
        """Find vendor names in `query`: exact aliases (longest first), then misspellings.

        `known_word(w)` says whether a word occurs in the corpus vocabulary; only unknown words
        are tried as misspellings, so "router" is never read as a vendor spelt wrong.
        """
        originals = [m.group() for m in _TOKEN.finditer(query)]
        # Aliases are looked up by their words ("d link"); a hyphenated word is read as the
        # corpus's name it is ("D-Link") or holds ("Huawei-made", "non-Huawei"), else whole.
        forms = [" ".join(words(o)) for o in originals]
        tokens = [(o, self._word_of(form)) for o, form in zip(originals, forms, strict=True)]
        found = VendorMatch(tokens=tokens)
        keys: list[str] = []
        i = 0
        while i < len(tokens):
            for n in range(min(5, len(tokens) - i), 0, -1):
                gram = " ".join(forms[i : i + n])
                key = self.lookup.get(gram)
                if key is None and n == 1 and gram in CORPORATE_FORMS:
                    continue
                if key is not None and gram not in QUESTION_WORDS:
                    keys.append(key)
                    found.matched_words.update(range(i, i + n))
                    found.spans.setdefault(key, []).extend(range(i, i + n))
                    i += n
                    break
            else:
                i += 1
        if self._fuzzy_forms:
            for i, (original, lower) in enumerate(tokens):
                if i in found.matched_words or len(lower) < 4 or not lower.isalpha():
                    continue
                if lower in QUESTION_WORDS or lower in NOT_VENDORS:
                    continue
                # A word the corpus knows may still be a near-spelling of a vendor ("norvell"
                # stems to "norvel"): only very close matches for those.
                if known_word(lower):
                    cutoff = FUZZY_KNOWN_WORD
                else:
                    cutoff = FUZZY_LONG if len(lower) >= 6 else FUZZY_SHORT
                best = self.closest_form(lower, cutoff)
                if best is not None:
                    key = self.lookup[best[0]]
                    keys.append(key)
                    found.fuzzy[original] = key
                    found.matched_words.add(i)
                    found.spans.setdefault(key, []).append(i)
        for key in dict.fromkeys(keys):
            (found.covered if self.is_covered(key) else found.passing).append(key)
        return found

    def _word_of(self, form: str) -> str:
        parts = form.split()
        joined = "-".join(parts)
        if len(parts) < 2 or self.names.is_name(joined):
            return joined
        return next((p for p in parts if self.names.is_name(p)), joined)

    def closest(self, name: str, limit: int = 3, among: dict[str, str] | None = None) -> list[str]:
        """Display names of the covered vendors whose names look like `name`, most alike first
        (`among`: display name -> key of the ones to choose from, default every covered
        vendor); none when no name looks like it."""
        shown = among if among is not None else {self.name(k): k for k in self.covered()}
        covered = list(shown.values())
        if not covered:
            return []
        names = {k: n for n, k in shown.items()}
        choices = {k: names[k].lower() for k in covered}
        ranked = process.extract(name.lower(), choices, scorer=fuzz.WRatio, limit=len(choices))
        return [names[k] for _, score, k in ranked if score >= 60][:limit]
