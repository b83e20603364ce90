"""The list sources: official URLs, how each file is parsed, and what sync may fetch."""

from __future__ import annotations

import os
from collections.abc import Callable
from dataclasses import dataclass

from index.lists import csl, fcc, statutory
from index.lists.common import ListDataError
from index.lists.model import ListEntry

Parser = Callable[[bytes], list[ListEntry]]

CSL_URL = "https://data.trade.gov/downloadable_consolidated_screening_list/v1/consolidated.json"

PARSERS: dict[str, Parser] = {
    "csl-json": csl.parse_json,
    "csl-csv": csl.parse_csv,
    "fcc-html": fcc.parse_html,
    "fcc-csv": fcc.parse_csv,
    "statutory-yml": statutory.parse,
}


@dataclass(frozen=True)
class Source:
    id: str
    title: str
    default_url: str
    url_env: str | None = None  # env var overriding the URL (tests point it at loopback)
    accept: str = "*/*"
    max_mb: float = 5.0  # the download limit (the full CSL JSON is ~33 MB)

    @property
    def url(self) -> str:
        return (os.environ.get(self.url_env or "") or "").strip() or self.default_url

    @property
    def syncable(self) -> bool:
        return self.url_env is not None

    def format_for(self, body: bytes, content_type: str) -> str:
        """The stored format of a downloaded body (CSL: JSON or CSV; FCC: the HTML page)."""
        if self.id == "csl":
            head = body.lstrip()[:1]
            return "csl-json" if "json" in content_type or head in (b"{", b"[") else "csl-csv"
        if self.id == "fcc":
            return "fcc-csv" if "csv" in content_type else "fcc-html"
        return "statutory-yml"


SOURCES: dict[str, Source] = {
    "csl": Source(
        "csl",
        "trade.gov Consolidated Screening List",
        CSL_URL,
        url_env="VENDORCHECK_LISTS_CSL_URL",
        accept="application/json,text/csv;q=0.9,*/*;q=0.5",
        max_mb=100.0,
    ),
    "fcc": Source(
        "fcc",
        "FCC Covered List",
        fcc.URL,
        url_env="VENDORCHECK_LISTS_FCC_URL",
        accept="text/html,application/xhtml+xml;q=0.9,*/*;q=0.5",
    ),
    "statutory": Source("statutory", "Statutory lists (corpus/lists/statutory.yml)", ""),
}

EXTENSIONS = {
    "csl-json": "json",
    "csl-csv": "csv",
    "fcc-html": "html",
    "fcc-csv": "csv",
    "statutory-yml": "yml",
}


def parse_file(data: bytes, file_format: str) -> list[ListEntry]:
    parser = PARSERS.get(file_format)
    if parser is None:
        raise ListDataError(f"unknown list file format {file_format!r}")
    return parser(data)
