"""Company names as people type them, read by `Planner.plan`.

- A legal name, "Hangzhou Hikvision Digital Technology Co., Ltd.", "SZ DJI Technology Co.":
  the corpus may write the whole of it once (in a list), so read word for word it would keep
  the answer to that one passage; the question is about the company (`legal_names`).
- Everyday words before a company word, "Positive Technologies": a company's name, not a
  topic, even though the corpus knows each word (`typed_companies`; the retriever checks that
  some passage writes it).
"""

from __future__ import annotations

from collections.abc import Callable

from index.search.query_words import STOP_WORDS
from index.vendors.names import CORPORATE_FORMS, QUESTION_WORDS
from index.vendors.registry import VendorMatch

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
