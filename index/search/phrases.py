"""Terms of art as the corpus writes them: "rip and replace", "clean network program".

The model reads some programme names as their everyday words, so a question about one can
miss the evidence threshold although a passage uses the very phrase. A question phrase of three
to five words, opening and closing on a content word, that one of the question's best ranked
passages contains word for word (case and punctuation aside) puts the question on topic, as a
cited rule number does (`retriever.cites`). A term of art is rare, so BM25 already ranks its
passages near the top: only those are read (`TERM_OF_ART_DEPTH`), and only when the question
is about to be abstained on, so the answer path pays nothing and an abstention little.
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from index.search.query_words import ASKING_WORDS, BRIEF_FILLER, STOP_WORDS

MIN_WORDS, MAX_WORDS = 3, 5
# A word in more passages than this is too common to be read as a name for being capitalised.
MAX_CAPITALISED_ROWS = 2_000
TERM_OF_ART_DEPTH = 20  # the ranked candidates read for a term of art
_WORD = re.compile(r"[^\W_][\w'’\-]*")
_RUN = re.compile(r"\w+")
_EDGE = STOP_WORDS | ASKING_WORDS | BRIEF_FILLER


def question_phrases(text: str, known_word: Callable[[str], bool]) -> list[list[str]]:
    """Runs of the question's words that could be a term of art, longest first; none when
    the question uses a content word the corpus never does ("what are the national security
    concerns about pizza apps?" is about pizza, which the corpus knows nothing of)."""
    words = [w.lower() for w in _WORD.findall(text)]
    if not all(known_word(w) for w in words if w not in _EDGE):
        return []
    found: list[list[str]] = []
    for size in range(MAX_WORDS, MIN_WORDS - 1, -1):
        for start in range(len(words) - size + 1):
            run = words[start : start + size]
            content = [w for w in run if w not in _EDGE]
            if run[0] in _EDGE or run[-1] in _EDGE or len(content) < 2:
                continue
            found.append(run)
    return found


def rows_writing(
    phrases: list[list[str]], rows: np.ndarray, text_of: Callable[[int], str]
) -> np.ndarray:
    """Those of `rows` that contain one of `phrases` in its order, nothing but spaces or
    punctuation between its words (one pattern for all of them, one search per passage).

    The pattern (compiling it was most of this lookup's cost) is made only of the phrases
    some passage may write, and searched only in those passages. An ASCII passage can write
    an ASCII phrase only if the phrase's word runs (`\\w+`) are consecutive word runs of the
    passage, lower-cased: the pattern matches from a word boundary to one, with only non-word
    characters between the runs. Anything else (a word or a passage outside ASCII, where
    ignoring case also matches "K", the Kelvin sign, to "k") is left to the pattern."""
    if not phrases or len(rows) == 0:
        return np.zeros(0, dtype=np.int64)
    keys = [_runs(" ".join(p).lower()) if all(w.isascii() for w in p) else None for p in phrases]
    needed: set[int] = set()
    searched: list[tuple[int, str]] = []
    for row in rows.tolist():
        text = text_of(row)
        if text.isascii():
            runs = _runs(text.lower())
            live = {i for i, key in enumerate(keys) if key is None or key in runs}
        else:
            live = set(range(len(phrases)))
        if live:
            needed |= live
            searched.append((row, text))
    if not needed:
        return np.zeros(0, dtype=np.int64)
    alternatives = "|".join(r"\W+".join(re.escape(w) for w in phrases[i]) for i in sorted(needed))
    pattern = re.compile(rf"\b(?:{alternatives})\b", re.IGNORECASE)
    return np.array([r for r, text in searched if pattern.search(text)], dtype=np.int64)


def rows_capitalising(word: str, rows: np.ndarray, text_of: Callable[[int], str]) -> np.ndarray:
    """Those of `rows` that write `word` capitalised mid-sentence (after a lower-case word or
    a comma), as a name is written: "Signal" the company, not "signal" the noun."""
    if len(rows) == 0:
        return np.zeros(0, dtype=np.int64)
    pattern = re.compile(rf"[a-z,;]\s+{re.escape(word[:1].upper() + word[1:].lower())}\b")
    return np.array([r for r in rows.tolist() if pattern.search(text_of(r))], dtype=np.int64)


# A section cited by number: "section 889", "Sec. 1634", "§ 1601", "47 U.S.C. 1601", "CFR 54.9".
_CITE = r"(?:\bsection|\bsec\.|§|\bu\.?s\.?c\.?|\bc\.?f\.?r\.?)\s*§*\s*"
_SECTION = re.compile(_CITE + r"(\d{2,5}[a-z]?)\b", re.IGNORECASE)


def cited_sections(text: str) -> list[str]:
    """The section numbers a question cites ("what is section 230" -> ["230"])."""
    return list(dict.fromkeys(m.group(1).lower() for m in _SECTION.finditer(text)))


def rows_citing_section(number: str, rows: np.ndarray, text_of: Callable[[int], str]) -> np.ndarray:
    """Those of `rows` that cite section `number` ("Section 230", "§1601"), not merely hold
    the number ("85 Fed. Reg. 230-01")."""
    pattern = re.compile(_CITE + re.escape(number) + r"\b", re.IGNORECASE)
    return np.array([r for r in rows.tolist() if pattern.search(text_of(r))], dtype=np.int64)


def _runs(text: str) -> str:
    """The word runs of `text`, each between single spaces: " rip and replace "."""
    return f" {' '.join(_RUN.findall(text))} "
