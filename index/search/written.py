"""Names as the question writes them: "China Telecom Americas" is not "China Unicom Americas".

The question is read into vendors and names (`plan.py`), a name sometimes shorter than the
question writes it: "China Telecom Americas" is read as "americas" (China is a place and
Telecom a generic word), which "China Unicom Americas" names too. So the ranking also looks at
the capitalised multi-word names as written: a passage names such a name only when it writes
it in full (case and punctuation aside). (A bonus for the best ranked passages writing any
other capitalised name, "Secure Equipment Act", was tried: it moved no real question.)
"""

from __future__ import annotations

import re
from collections.abc import Callable

import numpy as np

from index.search.passages import member
from index.search.phrases import rows_writing
from index.search.plan import QueryPlan

# Two or more capitalised words (or a year after one), a lower-case "of", "and", "for", "the"
# or "de" allowed between them ("Bureau of Industry and Security").
_NAME_RUN = re.compile(
    r"\b(?:[A-Z][\w\-’']*|\d[\w\-]*)"
    r"(?:\s+(?:(?:of|and|for|the|de)\s+)?(?:[A-Z][\w\-’']*|\d{4}))+"
)


_POSSESSIVE = re.compile(r"(?:['’]s?)$")


def written_names(text: str) -> list[list[str]]:
    """The question's capitalised multi-word names, each as its words (a possessive's "'s"
    or "'" dropped: "China Telecom Americas' license")."""
    return [
        [_POSSESSIVE.sub("", w) for w in run.group(0).split()] for run in _NAME_RUN.finditer(text)
    ]


def as_written(plan: QueryPlan, displays: list[str]) -> list[str]:
    """The names of an answer's label as the question writes them when it writes one longer
    than it was read ("about China Telecom Americas", not "about Americas")."""
    longer = written_names(plan.text)
    label = list(displays)
    start = len(displays) - len(plan.names)
    for i, name in enumerate(plan.names, start=start):
        written = next((w for w in longer if holds(w, name)), None)
        if written is not None:
            label[i] = " ".join(written)
    return list(dict.fromkeys(label))  # "Peru" and "Americas" are one "Peru Telecom Americas"


def holds(written: list[str], name: list[str]) -> bool:
    """`written` (as the question writes it) holds the lower-case name `name` and more."""
    lower = [w.lower() for w in written]
    size = len(name)
    return size < len(lower) and any(
        lower[i : i + size] == name for i in range(len(lower) - size + 1)
    )


def names_written(
    names: list[list[str]], rows: np.ndarray, text_of: Callable[[int], str]
) -> np.ndarray:
    """Per row, how many of `names` its passage writes in full, word for word."""
    counts = np.zeros(len(rows))
    for words in names:
        counts[member(rows, rows_writing([words], rows, text_of))] += 1
    return counts


class WrittenNames:
    """The written names of one question, against what its plan read."""

    def __init__(self, plan: QueryPlan, lookup: dict[str, str]) -> None:
        self.plan = plan
        # A name as some vendor or name read is written ("Trandgex Labs" for "trandgex"):
        # its passages have the bonus already.
        self.names = [w for w in written_names(plan.text) if not _read_as(w, plan, lookup)]

    def naming(
        self, rows: np.ndarray, parts: list[np.ndarray], text_of: Callable[[int], str]
    ) -> np.ndarray:
        """Per row, how many of the things asked about (`parts`: the plan's vendors, then its
        names, then anything else) its passage names; a name the question writes longer than
        it was read is named only by the passages writing it in full."""
        naming = [member(rows, part) for part in parts]
        start = len(self.plan.vendors)
        for i, name in enumerate(self.plan.names[: len(parts) - start], start=start):
            longer = next((w for w in self.names if holds(w, name)), None)
            if longer is not None:
                inside = np.flatnonzero(naming[i])
                naming[i][inside] = names_written([longer], rows[inside], text_of) > 0
        return sum(naming, np.zeros(len(rows)))


def _read_as(words: list[str], plan: QueryPlan, lookup: dict[str, str]) -> bool:
    key = lookup.get(" ".join(words).lower())
    return key is not None and (key in plan.vendors or key.split() in plan.names)
