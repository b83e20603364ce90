"""Acronyms of the laws a corpus names in full: "ASDA" for the American Security Drone Act,
"PAFACA" for the Protecting Americans from Foreign Adversary Controlled Applications Act.

People call a law by letters its texts never write; the letters are the capital initials of
the name (small words like "from" and "of" skipped), with or without the "A" of "Act". Found
once per build from the text (`law_acronyms`, stored in `vendors.json`), read by the planner
only for an all-caps word the corpus does not know.
"""

from __future__ import annotations

import re
from collections import Counter, defaultdict
from collections.abc import Callable, Sequence

from index.articles import Article

# Two to nine capitalised words (small joining words between them) ending in "Act".
_LAW = re.compile(r"\b(?:[A-Z][\w'’-]*\s+(?:(?:of|and|for|from|the|on|to|in)\s+)*){2,9}Act\b")
_SMALL = frozenset(["of", "and", "for", "from", "the", "on", "to", "in"])
MIN_LETTERS = 3


def _initials(name: str) -> list[str]:
    words = [w for w in name.split() if w.lower() not in _SMALL]
    letters = "".join(w[0] for w in words).lower()
    # With and without the "A" of "Act" (four letters at least: "SEA" is no "SE").
    return [letters] + ([letters[:-1]] if len(letters) > MIN_LETTERS else [])


def law_acronyms(articles: Sequence[Article]) -> dict[str, str]:
    """Acronym (lower-case) -> the law's name as the corpus writes it most often."""
    names: dict[str, Counter] = defaultdict(Counter)
    for article in articles:
        for match in _LAW.finditer(article.text):
            name = " ".join(match.group().split())
            if name.startswith("The "):  # "The Consolidated Appropriations Act" opening a sentence
                name = name[4:]
            for letters in _initials(name):
                if len(letters) >= MIN_LETTERS:
                    names[letters][name] += 1
    return {letters: counts.most_common(1)[0][0] for letters, counts in names.items()}


def read_acronyms(
    text: str, acronyms: dict[str, str], known_word: Callable[[str], bool], notes: list[str]
) -> str:
    """`text` with each all-caps word the corpus never writes that is the initials of a law it
    names in full ("ASDA") replaced by that law's name, and a note for each."""
    for word in dict.fromkeys(re.findall(r"\b[A-Z]{3,8}\b", text)):
        law = acronyms.get(word.lower())
        if law and not known_word(word.lower()):
            text = re.sub(rf"\b{word}\b", law, text)
            notes.append(f"Read {word!r} as the {law}.")
    return text
