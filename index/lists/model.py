"""Typed records for official US restriction lists: entries, snapshots and their provenance.

Every field shown to a user comes from the list data itself (or, for the statutory lists, from
`corpus/lists/statutory.yml`, which cites the law): nothing here is inferred.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass, field
from typing import Any


@dataclass(frozen=True)
class ListEntry:
    """One listed party on one list (a CSL row, an FCC Covered List company, a statute's entity).

    `list_id` identifies the list ("fcc-covered", "ndaa-889", "csl:<CSL source name>");
    `start_date` / `end_date` are ISO dates (YYYY-MM-DD) or None when the source gives none.
    """

    list_id: str
    list_name: str
    name: str
    source: str  # the snapshot source it came from: "csl", "fcc" or "statutory"
    alt_names: tuple[str, ...] = ()
    programs: tuple[str, ...] = ()
    citation: str = ""  # law section, Federal Register notice or FAR clause
    start_date: str | None = None
    end_date: str | None = None
    scope: str = ""  # what is restricted, in the source's words
    source_list_url: str = ""
    source_information_url: str = ""
    addresses: tuple[str, ...] = ()
    country: str = ""
    entity_type: str = ""  # "Entity", "Individual", "Vessel"... when the source says
    license_requirement: str = ""
    license_policy: str = ""

    @property
    def names(self) -> tuple[str, ...]:
        return (self.name, *self.alt_names)

    def to_json(self) -> dict[str, Any]:
        data = asdict(self)
        for key in ("alt_names", "programs", "addresses"):
            data[key] = list(data[key])
        return data

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> ListEntry:
        known = {f for f in cls.__dataclass_fields__}
        values = {k: v for k, v in data.items() if k in known}
        for key in ("alt_names", "programs", "addresses"):
            values[key] = tuple(values.get(key) or ())
        return cls(**values)


@dataclass(frozen=True)
class SourceInfo:
    """Where one source's current data came from and when it was retrieved."""

    source: str
    url: str
    retrieved: str  # ISO date (or datetime) of the retrieval
    file: str = ""  # file name inside the snapshot directory
    format: str = ""  # csl-json, csl-csv, fcc-html, fcc-csv, statutory-yml
    etag: str | None = None
    last_modified: str | None = None
    entries: int = 0
    note: str = ""
    origin: str = "bundled"  # "bundled" (corpus/lists) or "synced" ($VENDORCHECK_DATA_DIR/lists)

    def to_json(self) -> dict[str, Any]:
        return asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SourceInfo:
        known = {f for f in cls.__dataclass_fields__}
        return cls(**{k: v for k, v in data.items() if k in known})


@dataclass
class ListSnapshot:
    """All entries of all sources, with per-source provenance."""

    entries: list[ListEntry] = field(default_factory=list)
    sources: dict[str, SourceInfo] = field(default_factory=dict)

    def entries_of(self, source: str) -> list[ListEntry]:
        return [e for e in self.entries if e.source == source]

    @property
    def oldest_retrieval(self) -> str | None:
        dates = [s.retrieved for s in self.sources.values() if s.retrieved]
        return min(dates)[:10] if dates else None

    def lists(self) -> dict[str, str]:
        """list_id -> display name, in first-seen order."""
        seen: dict[str, str] = {}
        for entry in self.entries:
            seen.setdefault(entry.list_id, entry.list_name)
        return seen
