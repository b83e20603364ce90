"""trade.gov Consolidated Screening List (CSL): the JSON API download and both CSV layouts.

JSON (`consolidated.json`): `{"results": [{...}, ...]}`; each result has `source`, `name`,
`alt_names` (a list, or one '; '-joined string), `programs`, `federal_register_notice`,
`start_date`, `end_date`, `license_requirement`, `license_policy`, `addresses` (a list of
objects with `address`, `city`, `state`, `postal_code`, `country`), `source_list_url`,
`source_information_url`, `type`.

CSV: the older layout (as in moov-io/watchman's test data) starts with `source`; the current
one adds a leading `_id` column. Multi-value cells are '; '-joined, addresses are '; '-joined
"street, city, ..., CC" strings.
"""

from __future__ import annotations

import csv
import io
import json
from collections.abc import Iterable, Mapping
from typing import Any

from index.lists.common import ListDataError, clean, iso_date, split_list
from index.lists.model import ListEntry

SOURCE = "csl"
REQUIRED_COLUMNS = {"source", "name"}


def list_id_for(source_name: str) -> str:
    return f"csl:{source_name}"


def _addresses(value: Any) -> tuple[tuple[str, ...], str]:
    """(address strings, country of the first address) from a JSON list or a CSV cell."""
    if isinstance(value, list):
        shown: list[str] = []
        country = ""
        for item in value:
            if isinstance(item, Mapping):
                parts = [clean(item.get(k)) for k in ("address", "city", "state", "postal_code")]
                code = clean(item.get("country"))
                country = country or code
                text = ", ".join(p for p in [*parts, code] if p)
            else:
                text = clean(item)
            if text:
                shown.append(text)
        return tuple(shown), country
    shown_t = split_list(value)
    country = ""
    if shown_t:
        last = shown_t[0].rsplit(",", 1)[-1].strip()
        country = last if len(last) == 2 and last.isalpha() and last.isupper() else ""
    return shown_t, country


def _scope(row: Mapping[str, Any]) -> str:
    parts = []
    requirement = clean(row.get("license_requirement"))
    policy = clean(row.get("license_policy"))
    if requirement:
        parts.append(f"License requirement: {requirement}")
    if policy:
        parts.append(f"License policy: {policy}")
    return "; ".join(parts)


def entry_from_row(row: Mapping[str, Any]) -> ListEntry | None:
    """One CSL record (JSON object or CSV row) as a ListEntry; None when it has no name."""
    name = clean(row.get("name"))
    source_name = clean(row.get("source"))
    if not name or not source_name:
        return None
    addresses, country = _addresses(row.get("addresses"))
    alt_names = tuple(a for a in split_list(row.get("alt_names")) if a != name)
    return ListEntry(
        list_id=list_id_for(source_name),
        list_name=source_name,
        name=name,
        source=SOURCE,
        alt_names=alt_names,
        programs=split_list(row.get("programs")),
        citation=clean(row.get("federal_register_notice")),
        start_date=iso_date(row.get("start_date")),
        end_date=iso_date(row.get("end_date")),
        scope=_scope(row),
        source_list_url=clean(row.get("source_list_url")),
        source_information_url=clean(row.get("source_information_url")),
        addresses=addresses,
        country=country,
        entity_type=clean(row.get("type")),
        license_requirement=clean(row.get("license_requirement")),
        license_policy=clean(row.get("license_policy")),
    )


def _collect(rows: Iterable[Mapping[str, Any]], what: str) -> list[ListEntry]:
    entries: list[ListEntry] = []
    total = 0
    for row in rows:
        total += 1
        entry = entry_from_row(row) if isinstance(row, Mapping) else None
        if entry is not None:
            entries.append(entry)
    if not entries:
        raise ListDataError(f"{what} holds no entries ({total} records, none with a name)")
    if len(entries) < total / 2:
        raise ListDataError(f"{what}: only {len(entries)} of {total} records have a name")
    return entries


def parse_json(data: bytes | str) -> list[ListEntry]:
    try:
        document = json.loads(data)
    except (ValueError, UnicodeDecodeError) as exc:
        raise ListDataError(f"CSL JSON is not valid JSON ({str(exc)[:80]})") from None
    results = document.get("results") if isinstance(document, dict) else None
    if not isinstance(results, list):
        raise ListDataError('CSL JSON has no "results" list')
    return _collect(results, "CSL JSON")


def parse_csv(data: bytes | str) -> list[ListEntry]:
    text = data.decode("utf-8-sig", errors="replace") if isinstance(data, bytes) else data
    reader = csv.DictReader(io.StringIO(text))
    columns = {c.strip().lower() for c in reader.fieldnames or []}
    if not columns >= REQUIRED_COLUMNS:
        raise ListDataError("CSL CSV has no source/name columns")
    rows = ({(k or "").strip().lower(): v for k, v in row.items()} for row in reader)
    return _collect(rows, "CSL CSV")


def parse(data: bytes, content_type: str = "") -> list[ListEntry]:
    """JSON or CSV, by content type or, failing that, by the first character."""
    head = data.lstrip()[:1]
    if "json" in content_type or head in (b"{", b"["):
        return parse_json(data)
    return parse_csv(data)
