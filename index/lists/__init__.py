"""Official US restriction lists: data model, parsers, bundled/synced snapshots, screening.

Public API (engine side; no Slack, no argparse):

- `load_snapshot(config) -> ListSnapshot`: the lists in use (synced, else bundled).
- `vendor_status(snapshot, names) -> list[VendorStatus]`: for answers.
- `ScreeningIndex(snapshot).screen(name, threshold) -> list[ScreeningMatch]`,
  `screen_names(snapshot, names)`: name screening.
- `sync_lists(config) -> SyncReport`: refresh from the official URLs.

The names are lazy (PEP 562, like `index`'s own): answering a question reads the snapshot and
screens names without importing the HTTP client that `sync_lists` needs.
"""

from typing import TYPE_CHECKING

from index._lazy import lazy_exports

if TYPE_CHECKING:
    from index.lists.common import ListDataError
    from index.lists.model import ListEntry, ListSnapshot, SourceInfo
    from index.lists.screen import DEFAULT_THRESHOLD, ScreeningIndex, ScreeningMatch, screen_names
    from index.lists.status import ListHit, VendorStatus, vendor_status
    from index.lists.store import load_snapshot
    from index.lists.sync import ChangedName, SourceSync, SyncReport, sync_lists

__all__ = [
    "DEFAULT_THRESHOLD",
    "ChangedName",
    "ListDataError",
    "ListEntry",
    "ListHit",
    "ListSnapshot",
    "ScreeningIndex",
    "ScreeningMatch",
    "SourceInfo",
    "SourceSync",
    "SyncReport",
    "VendorStatus",
    "load_snapshot",
    "screen_names",
    "sync_lists",
    "vendor_status",
]

__getattr__, __dir__ = lazy_exports(
    __name__,
    {
        "index.lists.common": ("ListDataError",),
        "index.lists.model": ("ListEntry", "ListSnapshot", "SourceInfo"),
        "index.lists.screen": (
            "DEFAULT_THRESHOLD",
            "ScreeningIndex",
            "ScreeningMatch",
            "screen_names",
        ),
        "index.lists.status": ("ListHit", "VendorStatus", "vendor_status"),
        "index.lists.store": ("load_snapshot",),
        "index.lists.sync": ("ChangedName", "SourceSync", "SyncReport", "sync_lists"),
    },
)
