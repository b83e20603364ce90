"""Which watching channels a list sync concerns: watched vendors matched to the names the sync
added to, or removed from, an official list.

A watched vendor matches a changed entry when the lists' own screening matches them
(index/lists/screen.py: legal forms and punctuation dropped, alt_names, whole tokens and never
substrings, typos within a bound) at the threshold `vendorcheck lists check` uses, with tokens
weighed as in the lists in use: "Hikvision" matches "Hangzhou Hikvision Digital Technology Co.,
Ltd.", "Aztec" never matches "ZTE". Only the changed entries are screened, a few at a time, so
a vendor with many entries (Huawei and its affiliates) cannot crowd a change out.

Only a diff between two synced copies of a source is a change. The first sync of a source
replaces the bundled copy (the CSL's is a 115-row sample): its thousands of "new" rows were on
the list long before, and alerting them as added would be false.
"""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass

from index.lists.model import ListEntry, ListSnapshot
from index.lists.screen import CANDIDATES, DEFAULT_THRESHOLD, ScreeningIndex, index_for
from index.lists.sync import ChangedName, SyncReport

ADDED, REMOVED = "added", "removed"


@dataclass(frozen=True)
class ListChange:
    kind: str  # ADDED | REMOVED
    item: ChangedName
    entry: ListEntry  # from the new copy (added) or the previous one (removed)
    seen: str  # when the sync saw the change: the source's retrieval time (ISO)


@dataclass(frozen=True)
class ListChangeMatch:
    channel: str
    vendor: str  # as the channel watches it
    change: ListChange
    matched_name: str  # the listed name or alt_name that matched
    confidence: float
    how: str  # "exact" | "alias" | "fuzzy"

    @property
    def key(self) -> tuple[str, str, str, str]:
        """What an alert is sent at most once for: (channel, list, listed name, change)."""
        item = self.change.item
        return (self.channel, item.list_id, item.key, self.change.kind)


def changes_of(report: SyncReport) -> list[ListChange]:
    """The additions and removals of a sync that are real changes (see the module doc)."""
    out: list[ListChange] = []
    for source in report.sources:
        if source.baseline != "synced":
            continue
        seen = source.retrieved or ""
        for kind, items in ((ADDED, source.added), (REMOVED, source.removed)):
            out += [ListChange(kind, c, c.entry, seen) for c in items if c.entry is not None]
    return out


def _batches(changes: list[ListChange]) -> Iterator[tuple[int, list[ListChange]]]:
    """(offset, changes) in groups of at most CANDIDATES names: screening scores every name of
    a group, however many share the vendor's token."""
    start, names = 0, 0
    for number, change in enumerate(changes):
        count = len(set(change.entry.names))
        if number > start and names + count > CANDIDATES:
            yield start, changes[start:number]
            start, names = number, 0
        names += count
    if start < len(changes):
        yield start, changes[start:]


def match_changes(
    watches: dict[str, list[str]],
    changes: list[ListChange],
    snapshot: ListSnapshot | None = None,
    threshold: float = DEFAULT_THRESHOLD,
) -> list[ListChangeMatch]:
    """One match per (channel, change) a watched vendor screens to, with the channel's best
    matching vendor. `watches` is channel -> vendors (Watchlist.watching()); `snapshot`, the lists in
    use, weighs the tokens (without it, the changed entries alone do)."""
    if not watches or not changes:
        return []
    reference = index_for(snapshot) if snapshot is not None and snapshot.entries else None
    vendors = list(dict.fromkeys(v for names in watches.values() for v in names))
    found: dict[str, dict[int, tuple[str, float, str]]] = {v: {} for v in vendors}
    for offset, batch in _batches(changes):
        index = ScreeningIndex([c.entry for c in batch], idf_from=reference)
        position = {id(c.entry): offset + i for i, c in enumerate(batch)}
        for vendor in vendors:
            for hit in index.screen(vendor, threshold):
                number = position[id(hit.entry)]
                found[vendor][number] = (hit.matched_name, hit.confidence, hit.how)
    out: list[ListChangeMatch] = []
    for channel, names in watches.items():
        for number, change in enumerate(changes):
            hits = [(found[v][number], v) for v in names if number in found[v]]
            if hits:
                (matched, confidence, how), vendor = max(hits, key=lambda h: h[0][1])
                out.append(ListChangeMatch(channel, vendor, change, matched, confidence, how))
    return out
