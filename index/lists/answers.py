"""The official-list status block of an answer, for the names a question uses.

`ListStatusProvider(config).for_names(names, vendors)` screens each name against the lists in
use (synced, else bundled) and returns JSON-ready `VendorStatus` records: every list a name is
on, since when, under which rule, with a link. A name the question plainly uses as a vendor
(`vendors`) gets "not on any list we track (as of DATE)" when it is on none; any other name
(a place, an agency) is shown only when a list actually names it, so a status block never
says "Commerce: not on any list". The snapshot in use is re-read when a sync replaces it; the
screening of a set of names is kept per snapshot (the same vendors are asked about again and
again; `benchmarks/profile_query.py`).
"""

from __future__ import annotations

from typing import Any

from index.config import EngineConfig
from index.lists.common import ListDataError
from index.lists.model import ListSnapshot
from index.lists.status import VendorStatus, vendor_status
from index.lists.store import load_snapshot

MAX_SCREENED = 4096  # sets of names whose screening is kept for the snapshot in use


class ListStatusProvider:
    def __init__(self, config: EngineConfig) -> None:
        self.config = config
        self._snapshot: ListSnapshot | None = None
        self._screened: dict[tuple[tuple[str, ...], frozenset[str]], list[VendorStatus]] = {}

    def for_names(self, names: list[str], vendors: list[str]) -> list[dict[str, Any]]:
        """Status records for `names` (vendors first, each name once, case-insensitively).

        Unreadable list data leaves the block out rather than failing the answer (the lists
        commands report the problem); `load_snapshot` parses once per snapshot version."""
        seen: set[str] = set()
        wanted = []
        for name in [*vendors, *names]:
            if name.strip() and name.lower() not in seen:
                seen.add(name.lower())
                wanted.append(name)
        if not wanted:
            return []
        try:
            snapshot = load_snapshot(self.config)
        except ListDataError:
            return []
        strong = frozenset(v.lower() for v in vendors)
        return [status.to_json() for status in self._screen(snapshot, tuple(wanted), strong)]

    def _screen(
        self, snapshot: ListSnapshot, wanted: tuple[str, ...], strong: frozenset[str]
    ) -> list[VendorStatus]:
        if snapshot is not self._snapshot or len(self._screened) >= MAX_SCREENED:
            self._snapshot, self._screened = snapshot, {}
        kept = self._screened.get((wanted, strong))
        if kept is None:
            kept = self._screened[(wanted, strong)] = [
                status
                for status in vendor_status(snapshot, list(wanted))
                if status.listed or status.vendor.lower() in strong
            ]
        return kept
