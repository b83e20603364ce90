"""Words of a question the corpus has never seen: which read as a name, and how far one runs.

Read by `Planner._unknown_words`. A word the corpus lacks is a name when capitalised or when
the question is a few words ("is acme banned"); not when it is a corpus word with an ending
added ("subcontractors" of a corpus writing "subcontracts", `derived`), nor a lone everyday
word of the model's vocabulary ("tell me a joke": off-topic, not a vendor called "joke").
"""

from __future__ import annotations

import re
from collections.abc import Callable

from index.search.query_words import STOP_WORDS
from index.vendors.names import QUESTION_WORDS
from index.vendors.registry import VendorMatch

# A derived word keeps at least this share of its letters as a corpus word ("subcontract" is
# 11 of "subcontractors"' 14), so a name that opens with an everyday word is not one
# ("crowdstrike": "crowd" is 5 of 11).
DERIVED_SHARE = 0.75


def derived(word: str, known_word: Callable[[str], bool]) -> bool:
    """`word` is a corpus word with an ending the stemmer does not strip ("subcontractors",
    "subcontract"): the longest known prefix covers `DERIVED_SHARE` of it."""
    if not word.isalpha():
        return False
    shortest = max(4, -(-len(word) * 3 // 4))  # ceil(DERIVED_SHARE * len), 4 letters at least
    return any(known_word(word[:end]) for end in range(len(word) - 1, shortest - 1, -1))


def grow_phrases(match: VendorMatch, flagged: set[int]) -> list[str]:
    """Flagged words grown over the capitalised words and model numbers after them ("Mini 4
    Pro" of "DJI Mini 4 Pro" is one product, not "Mini" and "Pro"), joined into names."""
    tokens = match.tokens
    for i in sorted(flagged):
        j = i + 1
        while j < len(tokens) and _grows(tokens[j][0]) and j not in match.matched_words:
            if tokens[j][1] in QUESTION_WORDS or tokens[j][1] in STOP_WORDS:
                break
            flagged.add(j)
            j += 1
    phrases: list[list[str]] = []
    for i in sorted(flagged):
        if phrases and i - 1 in flagged:
            phrases[-1].append(tokens[i][0])
        else:
            phrases.append([tokens[i][0]])
    return [re.sub(r"['’]s$", "", " ".join(p)) for p in phrases]


def _grows(original: str) -> bool:
    return original[:1].isupper() or (original.isalnum() and any(c.isdigit() for c in original))
