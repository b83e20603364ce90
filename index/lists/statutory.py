"""Statutory and final-determination lists, kept as data in `corpus/lists/statutory.yml`.

These do not change by download: a statute (NDAA sec. 889, sec. 1634) or a final agency action
(DHS BOD 17-01, the Commerce ICTS determination) names the entities, the effective date and
the scope. The YAML records each with its citation and the official URL.
"""

from __future__ import annotations

from typing import Any

import yaml

from index.lists.common import ListDataError, clean, iso_date
from index.lists.model import ListEntry

SOURCE = "statutory"
_REQUIRED = ("id", "name", "citation", "start_date", "source_list_url", "entries")


def _entries_of(spec: dict[str, Any], where: str) -> list[ListEntry]:
    missing = [key for key in _REQUIRED if not spec.get(key)]
    if missing:
        raise ListDataError(f"{where} lacks {', '.join(missing)}")
    start = iso_date(spec["start_date"])
    if start is None:
        raise ListDataError(f"{where}: start_date {spec['start_date']!r} is not a date")
    out = []
    for item in spec["entries"]:
        if not isinstance(item, dict) or not clean(item.get("name")):
            raise ListDataError(f"{where} has an entry without a name")
        out.append(
            ListEntry(
                list_id=str(spec["id"]),
                list_name=clean(spec["name"]),
                name=clean(item["name"]),
                source=SOURCE,
                alt_names=tuple(clean(a) for a in item.get("alt_names") or () if clean(a)),
                citation=clean(spec["citation"]),
                start_date=start,
                end_date=iso_date(spec.get("end_date")),
                scope=clean(item.get("scope") or spec.get("scope")),
                source_list_url=clean(spec["source_list_url"]),
                source_information_url=clean(spec.get("source_information_url")),
                country=clean(item.get("country")),
            )
        )
    return out


def parse(data: bytes | str, content_type: str = "") -> list[ListEntry]:
    try:
        document = yaml.safe_load(data)
    except yaml.YAMLError as exc:
        raise ListDataError(
            f"statutory.yml is not valid YAML ({str(exc).splitlines()[0]})"
        ) from None
    lists = document.get("lists") if isinstance(document, dict) else None
    if not isinstance(lists, list) or not lists:
        raise ListDataError('statutory.yml has no "lists"')
    entries: list[ListEntry] = []
    for number, spec in enumerate(lists, 1):
        if not isinstance(spec, dict):
            raise ListDataError(f"statutory.yml list {number} is not a mapping")
        entries.extend(_entries_of(spec, f"statutory.yml list {spec.get('id') or number}"))
    return entries
