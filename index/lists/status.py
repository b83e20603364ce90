"""Vendor list status for answers: which lists a vendor is on, since when, under which rule.

`vendor_status(snapshot, ["huawei"])` gives, per name, the matching list entries sorted by date
(each with list name, since date, citation, link and the match confidence), or an explicit
"not on any list we track (as of <oldest retrieval date>)". Everything shown comes from the
list data; a name is never reported on a list without the entry that says so.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from index.lists.model import ListSnapshot
from index.lists.screen import DEFAULT_THRESHOLD, ScreeningMatch, index_for


@dataclass(frozen=True)
class ListHit:
    list_id: str
    list_name: str
    name: str  # the entry's primary listed name
    matched_name: str  # the name or alt_name that matched
    since: str | None
    until: str | None
    citation: str
    scope: str
    link: str
    confidence: float
    how: str

    @classmethod
    def from_match(cls, match: ScreeningMatch) -> ListHit:
        entry = match.entry
        return cls(
            list_id=entry.list_id,
            list_name=entry.list_name,
            name=entry.name,
            matched_name=match.matched_name,
            since=entry.start_date,
            until=entry.end_date,
            citation=entry.citation,
            scope=entry.scope,
            link=entry.source_information_url or entry.source_list_url,
            confidence=round(match.confidence, 3),
            how=match.how,
        )

    def to_json(self) -> dict[str, Any]:
        return dict(self.__dict__)


@dataclass
class VendorStatus:
    vendor: str
    hits: list[ListHit] = field(default_factory=list)
    as_of: str | None = None  # the oldest retrieval date of the sources consulted

    @property
    def listed(self) -> bool:
        return bool(self.hits)

    @property
    def message(self) -> str:
        if self.hits:
            lists = sorted({h.list_name for h in self.hits})
            return f"{self.vendor}: on {len(lists)} list(s) we track (as of {self.as_of})"
        return f"{self.vendor}: not on any list we track (as of {self.as_of})"

    def to_json(self) -> dict[str, Any]:
        return {
            "vendor": self.vendor,
            "listed": self.listed,
            "as_of": self.as_of,
            "message": self.message,
            "lists": [hit.to_json() for hit in self.hits],
        }


def vendor_status(
    snapshot: ListSnapshot, names: list[str], threshold: float = DEFAULT_THRESHOLD
) -> list[VendorStatus]:
    """One VendorStatus per name, hits sorted by since-date (undated last)."""
    index = index_for(snapshot)
    as_of = snapshot.oldest_retrieval
    out = []
    for name in names:
        hits = [ListHit.from_match(m) for m in index.screen(name, threshold)]
        hits.sort(key=lambda h: (h.since is None, h.since or "", -h.confidence, h.list_name))
        out.append(VendorStatus(name, hits, as_of))
    return out
