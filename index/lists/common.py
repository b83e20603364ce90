"""Helpers shared by the list parsers: dates, '; '-joined fields, the parse error."""

from __future__ import annotations

import re
from datetime import date, datetime

from index.errors import VendorcheckError


class ListDataError(VendorcheckError):
    """A list file that cannot be used (not the expected format, or no entries)."""


_ISO = re.compile(r"^\d{4}-\d{2}-\d{2}")
_LONG = re.compile(
    r"(January|February|March|April|May|June|July|August|September|October|November|December)"
    r"\s+(\d{1,2}),?\s+(\d{4})",
    re.IGNORECASE,
)


def iso_date(value: object) -> str | None:
    """YYYY-MM-DD from "2019-05-21", "2019-05-21T00:00:00" or "March 12, 2021"; else None."""
    text = str(value or "").strip()
    if not text:
        return None
    if _ISO.match(text):
        try:
            return date.fromisoformat(text[:10]).isoformat()
        except ValueError:
            return None
    match = _LONG.search(text)
    if match:
        try:
            parsed = datetime.strptime(" ".join(match.groups()), "%B %d %Y")
        except ValueError:
            return None
        return parsed.date().isoformat()
    return None


def split_list(value: object) -> tuple[str, ...]:
    """A CSL multi-value field: a JSON list, or one string joined with '; '."""
    if value is None:
        return ()
    items = value if isinstance(value, list | tuple) else str(value).split(";")
    out: list[str] = []
    for item in items:
        text = " ".join(str(item or "").split())
        if text and text not in out:
            out.append(text)
    return tuple(out)


def clean(value: object) -> str:
    return " ".join(str(value or "").split())
