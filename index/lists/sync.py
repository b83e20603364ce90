"""`sync`: refresh the downloadable lists from their official URLs, safely.

For each source (CSL, FCC): a conditional GET (If-None-Match / If-Modified-Since from the last
synced copy) through `index.fetch.fetch` (SSRF guard, size limit, deadline); a 304 fetches
nothing. A body is parsed and validated (a broken file or 0 entries is a failure) before it is
stored; on any failure the source keeps its previous snapshot and the report carries a one-line
error. New files are written under new names and the manifest is replaced last (store.py), so
readers never see a half-written snapshot. The report lists entries added and removed (by
normalised name) per source, each with its list entry, and the origin of the copy the diff was
taken against (`baseline`), for watchlist alerts.
"""

from __future__ import annotations

import fcntl
import threading
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass, field, replace
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from index.config import EngineConfig
from index.ingest.fetch import FetchError, FetchLimits, Page, fetch
from index.lists.common import ListDataError
from index.lists.model import ListEntry, SourceInfo
from index.lists.normalize import normalize
from index.lists.sources import SOURCES, Source, parse_file
from index.lists.store import (
    current_sources,
    read_entries,
    read_manifest,
    synced_dir,
    write_manifest,
    write_source_file,
)

Fetcher = Callable[..., Page]


@dataclass(frozen=True)
class ChangedName:
    list_id: str
    list_name: str
    name: str
    key: str  # the normalised name the diff is computed on
    # The entry added (from the new copy) or removed (from the previous one): its names, date,
    # citation and link, for alerts. Not part of the identity, nor of the JSON.
    entry: ListEntry | None = field(default=None, compare=False, repr=False)

    def to_json(self) -> dict[str, Any]:
        entry = self.entry
        return {
            "list_id": self.list_id,
            "list_name": self.list_name,
            "name": self.name,
            "key": self.key,
            "since": entry.start_date if entry else None,
            "citation": entry.citation if entry else "",
            "link": (entry.source_information_url or entry.source_list_url) if entry else "",
        }


@dataclass
class SourceSync:
    source: str
    url: str
    status: str  # "updated" | "unchanged" | "not-modified" | "failed"
    error: str = ""
    entries: int = 0
    retrieved: str | None = None
    added: list[ChangedName] = field(default_factory=list)
    removed: list[ChangedName] = field(default_factory=list)
    # Where the copy the diff was taken against came from: "synced" (an earlier sync of this
    # source), "bundled" (corpus/lists, which may be a sample) or "" (none, or unreadable).
    baseline: str = ""

    def to_json(self) -> dict[str, Any]:
        data = {k: v for k, v in asdict(self).items() if k not in ("added", "removed")}
        data["added"] = [c.to_json() for c in self.added]
        data["removed"] = [c.to_json() for c in self.removed]
        return data

    def line(self) -> str:
        if self.status == "failed":
            return f"{self.source}: failed, kept the previous snapshot: {self.error}"
        if self.status == "not-modified":
            return f"{self.source}: not modified (HTTP 304), nothing fetched"
        change = f"+{len(self.added)} -{len(self.removed)}"
        return f"{self.source}: {self.status}, {self.entries} entries ({change})"


@dataclass
class SyncReport:
    sources: list[SourceSync] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return all(s.status != "failed" for s in self.sources)

    @property
    def added(self) -> list[ChangedName]:
        return [c for s in self.sources for c in s.added]

    @property
    def removed(self) -> list[ChangedName]:
        return [c for s in self.sources for c in s.removed]

    def to_json(self) -> dict[str, Any]:
        return {"ok": self.ok, "sources": [s.to_json() for s in self.sources]}


def _limits(source: Source) -> FetchLimits:
    base = FetchLimits.from_env()
    return replace(
        base,
        max_bytes=max(base.max_bytes, int(source.max_mb * 1024 * 1024)),
        timeout=max(base.timeout, 60.0 if source.max_mb > 5 else base.timeout),
    )


def _keys(entries: list[ListEntry]) -> dict[tuple[str, str], ListEntry]:
    return {(e.list_id, normalize(e.name).key or e.name.lower()): e for e in entries}


def diff(old: list[ListEntry], new: list[ListEntry]) -> tuple[list[ChangedName], list[ChangedName]]:
    """(added, removed) between two entry lists, by list and normalised primary name."""
    before, after = _keys(old), _keys(new)

    def changed(keys: set[tuple[str, str]], side: dict[tuple[str, str], ListEntry]) -> list:
        return [
            ChangedName(k[0], side[k].list_name, side[k].name, k[1], side[k]) for k in sorted(keys)
        ]

    return changed(after.keys() - before.keys(), after), changed(
        before.keys() - after.keys(), before
    )


def _conditional_headers(info: SourceInfo | None) -> dict[str, str]:
    if info is None or info.origin != "synced":
        return {}  # the bundle has no validators: fetch in full
    headers = {}
    if info.etag:
        headers["If-None-Match"] = info.etag
    if info.last_modified:
        headers["If-Modified-Since"] = info.last_modified
    return headers


def _previous_entries(current: tuple[Path, SourceInfo] | None) -> list[ListEntry] | None:
    """The entries of the copy in use, or None when there is none or it cannot be read."""
    if current is None:
        return None
    try:
        return read_entries(*current)
    except ListDataError:
        return None


def sync_source(
    source: Source,
    current: tuple[Path, SourceInfo] | None,
    out_dir: Path,
    fetcher: Fetcher = fetch,
) -> tuple[SourceSync, SourceInfo | None]:
    """Fetch, validate and store one source; (result, new manifest info or None)."""
    url = source.url
    result = SourceSync(source.id, url, "failed")
    try:
        page = fetcher(
            url,
            _limits(source),
            headers=_conditional_headers(current[1] if current else None),
            accept=source.accept,
        )
        if page.not_modified:
            result.status = "not-modified"
            return result, None
        file_format = source.format_for(page.body, page.content_type)
        entries = parse_file(page.body, file_format)
    except (FetchError, ListDataError) as exc:
        result.error = " ".join(str(exc).split())[:300]
        return result, None
    name = write_source_file(out_dir, source.id, page.body, file_format)
    now = datetime.now(UTC).isoformat(timespec="seconds")
    info = SourceInfo(
        source.id, url, now, name, file_format, page.etag, page.last_modified,
        len(entries), origin="synced",
    )  # fmt: skip
    previous = _previous_entries(current)
    result.added, result.removed = diff(previous or [], entries)
    result.baseline = current[1].origin if current is not None and previous is not None else ""
    unchanged = current is not None and current[1].file == name
    result.status = (
        "unchanged" if unchanged and not result.added and not result.removed else "updated"
    )
    result.entries, result.retrieved = len(entries), now
    return result, info


@contextmanager
def _lock(directory: Path) -> Iterator[None]:
    directory.mkdir(parents=True, exist_ok=True)
    with open(directory / ".sync.lock", "w") as handle:
        fcntl.flock(handle, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def sync_lists(
    config: EngineConfig,
    only: list[str] | None = None,
    fetcher: Fetcher = fetch,
    cancel: threading.Event | None = None,
) -> SyncReport:
    """Refresh every downloadable source (or those in `only`); never raises for a source.

    Once `cancel` is set (the server is stopping), the sources not fetched yet are left for the
    next sync (they are not in the report)."""
    wanted = [s for s in SOURCES.values() if s.syncable and (not only or s.id in only)]
    unknown = sorted(set(only or ()) - {s.id for s in SOURCES.values() if s.syncable})
    if unknown:
        raise ListDataError(f"unknown list source {', '.join(unknown)} (known: csl, fcc)")
    out_dir = synced_dir(config)
    report = SyncReport()
    with _lock(out_dir):
        current = current_sources(config)
        try:
            infos = read_manifest(out_dir, "synced")
        except ListDataError:
            infos = {}
        changed = False
        for source in wanted:
            if cancel is not None and cancel.is_set():
                break
            result, info = sync_source(source, current.get(source.id), out_dir, fetcher)
            report.sources.append(result)
            if info is not None:
                infos[source.id] = info
                changed = True
        if changed:
            write_manifest(out_dir, infos)
    return report
