"""Search filters: publisher, date range, vendor. Parsed from the question's own text
(`huawei since:2024 publisher:Reuters`, so Slack passes them through unchanged) or given by the
caller (`vendorcheck ask --since 2023-01-01`), and applied to candidates in either store.

`QueryFilters` is what was asked; `RowFilter` is it resolved against one loaded index: which
articles pass (a mask over passages, used for the passages that name a vendor and for the local
store's candidates) and the vendor keys (which the engine store sends to its server with the
publisher and dates, so its top-n is taken among passing passages only).
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass, replace
from datetime import date

import numpy as np

from index.errors import VendorcheckError
from index.search.scoring import top_n

_TOKEN = re.compile(r'(?<!\S)(publisher|since|until|vendor):(?:"([^"]*)"|(\S+))', re.IGNORECASE)
_DATE = re.compile(r"(\d{4})(?:-(\d{1,2}))?(?:-(\d{1,2}))?")
DATE_HINT = "use YYYY, YYYY-MM or YYYY-MM-DD"


class FilterError(VendorcheckError):
    """A filter value that cannot be read (a bad date)."""


def parse_date(value: str, *, end: bool = False, name: str = "since") -> date:
    """`2024` -> 2024-01-01 (or 2024-12-31 with `end`), `2024-06` -> the 1st (or the 30th)."""
    match = _DATE.fullmatch(value.strip())
    try:
        if match is None:
            raise ValueError(value)
        year, month, day = (int(g) if g else None for g in match.groups())
        if month is None:
            return date(year, 12, 31) if end else date(year, 1, 1)  # type: ignore[arg-type]
        if day is None:
            last = calendar.monthrange(year, month)[1]  # type: ignore[arg-type]
            return date(year, month, last if end else 1)  # type: ignore[arg-type]
        return date(year, month, day)  # type: ignore[arg-type]
    except ValueError:
        raise FilterError(f"{name} {value!r} is not a date ({DATE_HINT})") from None


@dataclass(frozen=True)
class QueryFilters:
    publishers: tuple[str, ...] = ()  # any of these, case-insensitive, part of the name
    since: date | None = None
    until: date | None = None
    vendors: tuple[str, ...] = ()  # articles naming every one of these

    @property
    def active(self) -> bool:
        return bool(self.publishers or self.since or self.until or self.vendors)

    def merged(self, other: QueryFilters | None) -> QueryFilters:
        """These, with `other`'s dates where given and both lists of names."""
        if other is None:
            return self
        return QueryFilters(
            self.publishers + other.publishers,
            other.since or self.since,
            other.until or self.until,
            self.vendors + other.vendors,
        )

    def describe(self) -> str:
        parts = [f"publisher {' or '.join(self.publishers)}"] if self.publishers else []
        parts += [f"vendor {v}" for v in self.vendors]
        parts += [f"since {self.since.isoformat()}"] if self.since else []
        parts += [f"until {self.until.isoformat()}"] if self.until else []
        return ", ".join(parts)

    def matches(self, publisher: str, published: date | None) -> bool:
        """The article-level half (publisher, dates); vendors need the index."""
        if self.publishers and not any(
            p.casefold() in publisher.casefold() for p in self.publishers
        ):
            return False
        if (self.since or self.until) and published is None:
            return False
        if self.since and published < self.since:  # type: ignore[operator]
            return False
        return not (self.until and published > self.until)  # type: ignore[operator]


def parse_filters(text: str) -> tuple[str, QueryFilters]:
    """The question without its filter tokens, and the filters they ask for."""
    found = QueryFilters()
    if _TOKEN.search(text) is None:
        return text, found
    for match in _TOKEN.finditer(text):
        key, value = match.group(1).lower(), (match.group(2) or match.group(3) or "").strip()
        if not value:
            continue
        if key == "publisher":
            found = replace(found, publishers=(*found.publishers, value))
        elif key == "vendor":
            found = replace(found, vendors=(*found.vendors, value))
        elif key == "since":
            found = replace(found, since=parse_date(value, name="since:"))
        else:
            found = replace(found, until=parse_date(value, end=True, name="until:"))
    return " ".join(_TOKEN.sub(" ", text).split()), found


class RowFilter:
    """`QueryFilters` resolved against one index: passing articles, rows and vendor keys."""

    def __init__(self, spec: QueryFilters, index: object, article_of: np.ndarray) -> None:
        self.spec = spec
        articles = index.articles  # type: ignore[attr-defined]
        ok = np.fromiter(
            (spec.matches(a.publisher, a.published) for a in articles), bool, len(articles)
        )
        self.vendor_groups: list[list[str]] = []  # per vendor asked for: its keys (any of)
        vendors = index.vendors  # type: ignore[attr-defined]
        for name in spec.vendors:
            found = vendors.match(name)
            keys = list(dict.fromkeys(found.covered + found.passing))
            named = np.zeros(len(articles), dtype=bool)
            for key in keys:
                named[np.unique(article_of[vendors.mention_rows(key)])] = True
            ok &= named
            self.vendor_groups.append(keys or [f"unknown:{name}"])  # unknown: nothing passes
        self.articles = ok
        self.mask = ok[article_of] if len(article_of) else np.zeros(0, dtype=bool)

    def keep(self, rows: np.ndarray) -> np.ndarray:
        return rows[self.mask[rows]] if len(rows) else rows

    def candidates(self, search: object, scores: object, n: int) -> np.ndarray:
        """The local store's candidates among passing rows: exact cosines of every passing
        passage (a filter makes FAISS's global top n the wrong set) plus BM25's top n."""
        allowed = np.flatnonzero(self.mask).astype(np.int64)
        if len(allowed) == 0:
            return allowed
        dense = search.dense_of(allowed, scores.vector)  # type: ignore[attr-defined]
        best = allowed[top_n(dense - dense.min() + 1e-6, n)]
        lexical = scores.lexical  # type: ignore[attr-defined]
        hits = top_n(np.where(self.mask, lexical, 0), n) if scores.tokens else allowed[:0]  # type: ignore[attr-defined]
        return np.unique(np.concatenate([best, hits]).astype(np.int64))
