"""The words of a question before it is read: cleaning, length cap, and the word sets that say
how a question is asked rather than what it asks (shared by `plan.py` and `phrases.py`)."""

from __future__ import annotations

import re
from collections.abc import Callable

from index.vendors.names import word_set

MAX_QUERY_CHARS = 500  # longer queries are cut (with a note): the model reads ~256 tokens anyway
USAGE = 'Ask about a vendor, e.g. "is Kaspersky allowed on GSA?", or give a vendor name.'
# Control characters, and lone surrogates (argv with invalid UTF-8, JSON "\udcff"): the
# tokenizer rejects the latter with a TypeError.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
STOP_WORDS = word_set(
    """
    a an and are as at be but by for if in into is it no not of on or such that the their then
    there these they this to was will with i me my we our you your he she his her its them
    """
)
# How a question is asked, not what it asks: left out of the BM25 query ("did Kaspersky work
# with the FSB?" must not match a passage for its "did not want to be identified").
ASKING_WORDS = word_set(
    """
    is are was were be been can could should would will do does did has have had may might
    must shall what which who whom whose when where why how whether
    """
)
# A covered vendor's name with only these words around it asks for its brief:
# "kaspersky", "latest on Kaspersky", "what's new with Kaspersky?", "tell me about Kaspersky".
BRIEF_FILLER = word_set(
    """
    brief summary overview status update updates latest news new recent what whats s about tell
    me us show give anything info information on with there any know do we you vendor company
    profile history timeline report reports
    """
)


def acronym_or_compound(original: str, known_word: Callable[[str], bool]) -> bool:
    """Short all-caps words ("EO", "SOC", "LTE") and compounds with a known part ("NS-CMIC")
    name programmes and things as often as vendors: not read as an unknown vendor."""
    letters = [c for c in original if c.isalpha()]
    if letters and len(letters) <= 3 and original.isupper():
        return True
    parts = [p for p in re.split(r"[-/]", original) if p]
    return len(parts) > 1 and any(known_word(p.lower()) for p in parts)


def clean_query(raw: str, limit: int = MAX_QUERY_CHARS) -> tuple[str, list[str]]:
    """Collapse control characters and whitespace; cut queries over `limit` characters
    between words (a caller may set a lower cap, e.g. the bot's). Returns notes too."""
    notes: list[str] = []
    text = " ".join(_CONTROL.sub(" ", raw or "").split())
    limit = max(1, min(limit, MAX_QUERY_CHARS))
    if len(text) > limit:
        cut = text[:limit].rsplit(" ", 1)[0] or text[:limit]
        notes.append(
            f"Your question was {len(text):,} characters; only the first {len(cut)} were used."
        )
        text = cut
    return text, notes
