"""Company names as people type them, read by `Planner.plan`.

- A legal name, "Hangzhou Hikvision Digital Technology Co., Ltd.", "SZ DJI Technology Co.":
  the corpus may write the whole of it once (in a list), so read word for word it would keep
  the answer to that one passage; the question is about the company (`legal_names`).
- One everyday word capitalised mid-question, "is Signal allowed on government phones?": a
  company's name when the corpus never writes that word capitalised (`capitalised_word`).
- Everyday words before a company word, "Positive Technologies": a company's name, not a
  topic, even though the corpus knows each word (`typed_companies`; the retriever checks that
  some passage writes it).
"""

from __future__ import annotations

import re
from collections.abc import Callable
from itertools import pairwise
from typing import Protocol

import numpy as np

from index.search.phrases import MAX_CAPITALISED_ROWS, rows_capitalising, rows_writing
from index.search.query_words import ASKING_WORDS, BRIEF_FILLER, STOP_WORDS
from index.vendors.names import CORPORATE_FORMS, NOT_VENDORS, QUESTION_WORDS
from index.vendors.registry import VendorMatch


class Naming(Protocol):  # the retriever's passage search, local or engine
    def rows_naming(self, words: list[str]) -> np.ndarray: ...


_FORMS = CORPORATE_FORMS - STOP_WORDS  # "Co.", "Ltd.", "Technology", not "the"


def runs(indexes: list[int]) -> list[list[int]]:
    """Sorted token indexes cut into runs of adjacent ones: [1, 2, 4] -> [[1, 2], [4]]."""
    found: list[list[int]] = []
    for i in sorted(indexes):
        if found and found[-1][-1] == i - 1:
            found[-1].append(i)
        else:
            found.append([i])
    return found


def legal_names(
    match: VendorMatch,
    names: dict[int, str],
    company: Callable[[str], bool],
    uses: Callable[[str], int],
) -> set[int]:
    """Name words right before a legal form or company word are read as the one among them
    that names a company on its own (`company`: a company's name, not a place), the one the
    corpus writes most (`uses`: Hikvision, DJI). The city and trade words around it ("Hangzhou", "Digital")
    are taken out of `names`; their indexes are returned: they are part of the name, not
    words of the question."""
    dropped: set[int] = set()
    for run in runs(list(names)):
        after = run[-1] + 1
        if len(run) < 2 or after >= len(match.tokens) or match.tokens[after][1] not in _FORMS:
            continue
        companies = [i for i in run if company(names[i])]
        if companies:
            keep = max(companies, key=lambda i: uses(names[i]))
            dropped.update(i for i in run if i != keep)
    for i in dropped:
        del names[i]
    return dropped


# Words a question asks with ("information", "list", "company"): left out of a name the
# corpus writes around a name word (`Planner._name_words`), so they may bridge two ("of" not).
_BRIDGING = (QUESTION_WORDS | BRIEF_FILLER) - STOP_WORDS - ASKING_WORDS


def bridged(
    match: VendorMatch,
    names: dict[int, str],
    together: Callable[[list[str]], bool],
    taken: set[int],
) -> None:
    """One or two capitalised asking words between two name words ("Information" of "Dawning
    Information Industry") join them into one name when some passage has them all: one
    company, not "Dawning" and an "Industry" that pulls in the Bureau of Industry's rules.
    Other words are joined by the corpus's own longer names, or kept apart on purpose ("Peru
    Telecom Americas" must be written in full, `written.py`). Grows `names` in place."""
    tokens, found = match.tokens, sorted(names)
    for before, after in pairwise(found):
        gap = range(before + 1, after)
        if not 1 <= len(gap) <= 2 or any(
            not tokens[j][0][:1].isupper() or tokens[j][1] not in _BRIDGING or j in taken
            for j in gap
        ):
            continue
        if together([names[before], *(tokens[j][1] for j in gap), names[after]]):
            names.update((j, tokens[j][1]) for j in gap)


def typed_companies(match: VendorMatch, skip: set[int]) -> list[tuple[list[str], str]]:
    """Capitalised words right before a capitalised company word ("Positive Technologies",
    "Apex Systems Inc."): a company's name as typed, though each word is an everyday one the
    corpus knows. (lower-case words with the company word, the name as typed) for each; the
    retriever says "nothing in the corpus about" those no passage writes. A run stops at a
    word in `skip` (a vendor or name the corpus has: "Huawei Technologies" is Huawei's)."""
    tokens, found = match.tokens, []
    stop = STOP_WORDS | QUESTION_WORDS | CORPORATE_FORMS
    for end, (original, lower) in enumerate(tokens):
        if lower not in _FORMS or not original[:1].isupper():
            continue
        start = end
        while start > 0 and start - 1 not in skip and tokens[start - 1][0][:1].isupper():
            if tokens[start - 1][1] in stop:
                break
            start -= 1
        if start < end:
            run = tokens[start : end + 1]
            found.append(([lo for _, lo in run], " ".join(o for o, _ in run).rstrip(".,")))
    return found


_NOT_NAMES = (
    STOP_WORDS | ASKING_WORDS | QUESTION_WORDS | BRIEF_FILLER | CORPORATE_FORMS | NOT_VENDORS
)


def capitalised_word(match: VendorMatch, skip: set[int]) -> list[list[str]]:
    """The one word after the first that the question capitalises, when it is an everyday
    word ("is Signal allowed on government phones?"): [[it as typed, and each content word
    beside it]] (a phrase the corpus writes with a neighbour is a term capitalised for
    emphasis, "Reasonable inquiry"), else []. Two or more capitalised words are a title-case
    question or a name the planner reads otherwise."""
    tokens = match.tokens
    capitals = [i for i, (o, _) in enumerate(tokens) if i > 0 and o[:1].isupper()]
    if len(capitals) != 1 or capitals[0] in skip:
        return []
    at = capitals[0]
    original, lower = tokens[at]
    if original.isupper() or not original.isalpha() or lower in _NOT_NAMES:
        return []
    beside = [tokens[j][1] for j in (at - 1, at + 1) if 0 <= j < len(tokens)]
    return [[original] + [w for w in beside if w not in STOP_WORDS | ASKING_WORDS]]


def typed_unknown(
    typed: list[tuple[list[str], str]],
    capitalised: list[list[str]],
    search: Naming,
    text_of: Callable[[int], str],
) -> list[str]:
    """The names of `typed_companies` no passage writes, and the `capitalised_word` no
    passage capitalises nor writes with a word beside it: as unknown as names never seen
    (else their everyday words are ranked as a topic). Read only for questions that have
    such a name: the passages naming its words, one pattern over them."""
    unknown = [
        name
        for words, name in typed
        if not len(rows_writing([words], search.rows_naming(words), text_of))
    ]
    for word, *beside in capitalised:
        rows = search.rows_naming([word.lower()])
        if len(rows) > MAX_CAPITALISED_ROWS:
            continue  # too common a word to be read as a name for its capital
        terms = [pair for w in beside for pair in ([w, word.lower()], [word.lower(), w])]
        if not len(rows_capitalising(word, rows, text_of)) and not len(
            rows_writing(terms, rows, text_of)
        ):
            unknown.append(word)
    return unknown


# A run of capitalised words, as a title writes a company's name in full.
_CAPITALISED_RUN = re.compile(r"[A-Z][\w'’-]*(?:\s+[A-Z][\w'’-]*)*")


def spelt_out(name: str, text: str) -> bool:
    """`text` writes `name` (3+ letters) in full as the words its letters are the initials of:
    "Semiconductor Manufacturing International Corporation" for "SMIC"."""
    letters = name.replace(" ", "").lower()
    if len(letters) < 3 or not letters.isalpha():
        return False
    runs = (m.group(0).split() for m in _CAPITALISED_RUN.finditer(text))
    return any(letters in "".join(w[0] for w in run).lower() for run in runs)
