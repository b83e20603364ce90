"""Rule, directive and case numbers: "M-23-13", "17-01", "204-25" (of FAR 52.204-25),
"CVE-2023-0142", "13873". Found in every passage at build time (`identifier_rows`, stored with
the vendor data), so that a question citing one is matched exactly and at once, not through
BM25's pieces of it ("23", "13")."""

from __future__ import annotations

import re
from collections.abc import Sequence

from index.articles import Article

# Digits with '-', '.' or '/' inside, or 5+ digits; a bare year is not one.
IDENTIFIER = re.compile(r"(?=\S*\d)(?=\S*[-./])[\w./-]+|\d{5,}")
# Words as the question side reads them (`index.vendors.registry`): "52.204-25" is "52" and
# "204-25", so both sides cut a number at the same places.
_TOKEN = re.compile(r"[^\W_][\w&'’\-]*")


def is_identifier(token: str) -> bool:
    return IDENTIFIER.fullmatch(token) is not None


def identifiers_in(text: str) -> set[str]:
    return {t.lower() for t in _TOKEN.findall(text) if is_identifier(t)}


def identifier_rows(
    articles: Sequence[Article], rows: Sequence[tuple[int, int, int]]
) -> dict[str, list[int]]:
    """Identifier (lower-case) -> the passages citing it, in row order."""
    found: dict[str, list[int]] = {}
    for row, (article, start, end) in enumerate(rows):
        for identifier in identifiers_in(articles[article].text[start:end]):
            found.setdefault(identifier, []).append(row)
    return found


def cited_rows(identifiers: dict, identifier: str) -> list[int]:
    """The passages citing `identifier`, from an index's `identifier_rows` table."""
    return identifiers.get(identifier.lower(), [])
