"""Proper names from corpus statistics: which words the corpus writes as names.

A company name is a word the corpus capitalises wherever it appears mid-sentence ("Huawei",
"Kaspersky", "ZTE", "TikTok"), while an ordinary word is mostly written lower-case
("schedule", "data"). Counting that once per build needs no list of vendors and no rules about
headlines, so it carries over to any corpus: government notices in ALL CAPS headings and news
alike (words in all-caps lines are not counted: a heading says nothing about case).

`proper_names(articles)` -> {word: [capitalised count, total count, display form]} for words
capitalised in most of their mid-sentence uses (or, never seen mid-sentence, capitalised where
they open one); the query side (`NameTerms`) reads a question's
words against it, and matches misspellings against these names only.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Sequence

from rapidfuzz import process
from rapidfuzz.distance import OSA

from index.articles import Article

_WORD = re.compile(r"[^\W\d_][\w&'’\-]*")
_POSSESSIVE = re.compile(r"['’]s$", re.I)
MIN_SHARE = 0.8  # capitalised in at least this share of its mid-sentence uses


# Reading an unknown word as a name spelt wrong: at most one edit (transposition included)
# for up to 6 letters, two beyond.
def max_edits(word: str) -> int:
    return 1 if len(word) <= 6 else 2


def _normal(token: str) -> str:
    return _POSSESSIVE.sub("", token).lower().strip("-'’")


def proper_names(articles: Sequence[Article]) -> dict[str, list]:
    capital: Counter = Counter()
    total: Counter = Counter()
    opening: Counter = Counter()  # capitalised as a sentence's first word
    forms: dict[str, Counter] = defaultdict(Counter)
    for article in articles:
        for line in article.text.splitlines():
            letters = [c for c in line if c.isalpha()]
            if letters and sum(c.isupper() for c in letters) > 0.6 * len(letters):
                continue  # an all-caps heading
            for match in _WORD.finditer(line):
                token = match.group()
                word = _normal(token)
                before = line[: match.start()].rstrip(" \t\"“‘'([—–-")
                if len(word) < 2:
                    continue
                if not before or before[-1] in ".!?:;•":
                    # A sentence's first word is capitalised by grammar: it counts only for a
                    # word never seen mid-sentence ("Velloria Cloud said ..." in every story,
                    # or the one article of a corpus that opens with its vendor's name).
                    opening[word] += token[0].isupper()
                    forms[word][_POSSESSIVE.sub("", token)] += 1
                    continue
                total[word] += 1
                if token[0].isupper():
                    capital[word] += 1
                    forms[word][_POSSESSIVE.sub("", token)] += 1
    names = {}
    for word in set(capital) | set(opening):
        # Mid-sentence uses, when there are any, decide; a word only ever seen opening a
        # sentence counts by those.
        if capital[word] >= MIN_SHARE * total[word] and capital[word] + opening[word] >= 1:
            uses = total[word] or opening[word]
            names[word] = [capital[word] or opening[word], uses, forms[word].most_common(1)[0][0]]
    return names


class NameTerms:
    """Query-time view of the proper names of one generation."""

    def __init__(self, table: dict[str, list]) -> None:
        self.table = table
        self._fuzzy_pool = sorted(w for w in table if len(w) >= 4 and w.isalpha())
        # A hyphenated name typed without its hyphen ("dlink" for "D-Link").
        self._unhyphenated = {
            w.replace("-", ""): w for w in table if "-" in w and w.replace("-", "") not in table
        }
        self._unhyphenated_pool = sorted(self._unhyphenated)

    def unhyphenated(self, word: str) -> str | None:
        """The hyphenated name `word` is, typed without its hyphen or its hyphen elsewhere
        ("dlink", "dl-ink": "d-link"), or spelt wrong ("d-lnik"; at most `max_edits`)."""
        joined = word.replace("-", "")
        if joined in self._unhyphenated or len(joined) < 4 or not self._unhyphenated:
            return self._unhyphenated.get(joined)
        pool, cutoff = self._unhyphenated_pool, max_edits(joined)
        near = process.extractOne(joined, pool, scorer=OSA.distance, score_cutoff=cutoff)
        return self._unhyphenated[near[0]] if near else None

    def uses(self, word: str) -> int:
        """How often the corpus writes `word` capitalised (0 for a word it never does)."""
        entry = self.table.get(word)
        return int(entry[0]) if entry else 0

    def is_name(self, word: str) -> bool:
        return word in self.table

    def display(self, word: str) -> str:
        entry = self.table.get(word)
        return str(entry[2]) if entry else word

    def closest(self, word: str) -> str | None:
        """The name `word` is most likely a misspelling of, if one is close enough: the
        fewest edits (a swap of two letters is one), then the same length (a letter mistyped
        more often than dropped), then the name the corpus uses most ("unicon" -> "unicom",
        not "union")."""
        if len(word) < 4 or not self._fuzzy_pool:
            return None
        near = process.extract(
            word,
            self._fuzzy_pool,
            scorer=OSA.distance,
            score_cutoff=max_edits(word),
            limit=8,
        )
        if not near:
            return None
        return min(
            (name for name, _, _ in near),
            key=lambda n: (OSA.distance(word, n), abs(len(n) - len(word)), -self.table[n][1]),
        )

    def closest_split(self, first: str, second: str) -> str | None:
        """The name two words typed apart are, each of them misspelt ("tic toc": TikTok):
        the joined words against the names at one edit per word (`closest` allows the joined
        word only one), and each word within an edit of its half of the name."""
        joined = first + second
        if min(len(first), len(second)) < 3 or not self._fuzzy_pool:
            return None
        near = process.extract(joined, self._fuzzy_pool, scorer=OSA.distance, score_cutoff=2)
        halves = [
            (name, distance)
            for name, distance, _ in near
            if any(
                OSA.distance(first, name[:cut]) <= 1 and OSA.distance(second, name[cut:]) <= 1
                for cut in range(len(first) - 1, len(first) + 2)
            )
        ]
        if not halves:
            return None
        return min(halves, key=lambda h: (h[1], -self.table[h[0]][1]))[0]
