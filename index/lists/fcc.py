"""The FCC Covered List (https://www.fcc.gov/supplychain/coveredlist).

The page is an HTML table with the columns "Covered Equipment or Services" and "Date of
Inclusion on Covered List". Each row is a sentence that names the company inside it
("Telecommunications equipment produced by Huawei Technologies Company, including ..."): the
company names are extracted from the sentence, and the sentence is kept whole as the entry's
scope (what exactly is covered). The verbatim copy of the table we bundle is a two-column CSV.
"""

from __future__ import annotations

import csv
import io
import re

import lxml.html

from index.lists.common import ListDataError, clean, iso_date
from index.lists.model import ListEntry

SOURCE = "fcc"
LIST_ID = "fcc-covered"
LIST_NAME = "FCC Covered List"
URL = "https://www.fcc.gov/supplychain/coveredlist"
CITATION = (
    "Secure and Trusted Communications Networks Act of 2019, sec. 2 (47 U.S.C. 1601); "
    "47 CFR 1.50002"
)
EQUIPMENT_HEADER = "covered equipment or services"
DATE_HEADER = "date of inclusion"

# "... produced by X, including", "... provided by X subject to section 214", "... supplied,
# directly or indirectly, by X or any of its predecessors", "... by X or any of its successors".
_BY = re.compile(
    r"\bby\s+(?!such\b)(?P<name>[A-Z0-9].*?)"
    r"(?=,\s*(?:including|to the extent)\b|\s+subject to\b|\s+or any of\b|\s+and any of\b"
    r"|\s+to the extent\b|\s+including\b|\.?\s*$)",
)
_SUBSIDIARY = re.compile(r"\s+and its\s+(?:wholly[- ]owned\s+)?subsidiar(?:y|ies)\s+")


def company_names(sentence: str) -> list[str]:
    """Company names in one Covered List sentence (empty when none is recognisable)."""
    match = _BY.search(sentence)
    if not match:
        return []
    found = match.group("name").strip().rstrip(",")
    names = [clean(part) for part in _SUBSIDIARY.split(found)]
    return [name for name in names if name]


def entries_from_rows(rows: list[tuple[str, str]]) -> list[ListEntry]:
    entries: list[ListEntry] = []
    for sentence, when in rows:
        sentence = clean(sentence)
        names = company_names(sentence)
        for name in names:
            entries.append(
                ListEntry(
                    list_id=LIST_ID,
                    list_name=LIST_NAME,
                    name=name,
                    source=SOURCE,
                    citation=CITATION,
                    start_date=iso_date(when),
                    scope=sentence,
                    source_list_url=URL,
                    source_information_url=URL,
                )
            )
    if not entries:
        raise ListDataError(f"the FCC Covered List holds no entries ({len(rows)} table rows)")
    return entries


def _cell_text(cell: lxml.html.HtmlElement) -> str:
    return clean(cell.text_content())


def _table_rows(table: lxml.html.HtmlElement) -> list[list[str]]:
    return [[_cell_text(cell) for cell in row.xpath("./th|./td")] for row in table.xpath(".//tr")]


def _columns(header: list[str]) -> tuple[int, int] | None:
    lowered = [h.lower() for h in header]
    what = next((i for i, h in enumerate(lowered) if EQUIPMENT_HEADER in h), None)
    when = next((i for i, h in enumerate(lowered) if DATE_HEADER in h), None)
    return (what, when) if what is not None and when is not None else None


def parse_html(data: bytes | str) -> list[ListEntry]:
    """The Covered List table(s) of the FCC page; other tables on the page are ignored."""
    try:
        document = lxml.html.fromstring(data)
    except (ValueError, lxml.etree.ParserError) as exc:
        raise ListDataError(f"the FCC page is not HTML ({exc})") from None
    rows: list[tuple[str, str]] = []
    for table in document.xpath("//table"):
        cells = _table_rows(table)
        header_at = next((i for i, r in enumerate(cells) if _columns(r)), None)
        if header_at is None:
            continue
        what, when = _columns(cells[header_at])  # type: ignore[misc]
        for row in cells[header_at + 1 :]:
            if len(row) > max(what, when) and row[what]:
                rows.append((row[what], row[when]))
    if not rows:
        raise ListDataError(
            'the FCC page has no table with "Covered Equipment or Services" and '
            '"Date of Inclusion on Covered List" columns'
        )
    return entries_from_rows(rows)


def parse_csv(data: bytes | str) -> list[ListEntry]:
    """The bundled verbatim copy: `covered_equipment_or_services,date_of_inclusion_...`."""
    text = data.decode("utf-8-sig", errors="replace") if isinstance(data, bytes) else data
    reader = csv.reader(io.StringIO(text))
    header = next(reader, [])
    columns = _columns([h.replace("_", " ") for h in header])
    if columns is None:
        raise ListDataError("the FCC Covered List CSV has no equipment/date columns")
    what, when = columns
    rows = [(r[what], r[when]) for r in reader if len(r) > max(what, when) and r[what].strip()]
    return entries_from_rows(rows)


def parse(data: bytes, content_type: str = "") -> list[ListEntry]:
    if "csv" in content_type:
        return parse_csv(data)
    return parse_html(data)
