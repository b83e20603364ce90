"""`vendorcheck lists ...`: screen vendor names against the official US restriction lists.

    vendorcheck lists check "Hangzhou Hikvision Digital Technology Co., Ltd." [--json]
    vendorcheck lists check --file vendors.csv [--json]   # first column, or a "name" column
    vendorcheck lists sync [--json] [--source csl|fcc] [--no-alerts]   # refresh, alert
    vendorcheck lists show [--json]                        # sources, dates, entry counts

The engine is `index.lists`; this module only parses arguments and prints. After a sync, the
Slack channels watching a vendor the sync added to or removed from a list are alerted when
SLACK_BOT_TOKEN is set (bot/slack/alerts.py; `--no-alerts` turns that off).
"""

from __future__ import annotations

import argparse
import csv
import json
import sys
from pathlib import Path

from index.errors import VendorcheckError

HEADER_WORDS = {"name", "vendor", "vendor name", "company", "supplier", "supplier name"}
PROGRESS_MIN_ROWS = 200


def _threshold(value: str) -> float:
    try:
        number = float(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a number") from None
    if not 0 < number <= 1:
        raise argparse.ArgumentTypeError("the threshold is a confidence between 0 and 1")
    return number


def register_cli(sub, common, corpus=None) -> None:  # type: ignore[no-untyped-def]
    from index.lists.screen import DEFAULT_THRESHOLD

    parents = [common] + ([corpus] if corpus is not None else [])
    p = sub.add_parser("lists", parents=parents, help="official US restriction lists")
    lists = p.add_subparsers(dest="lists_command", metavar="SUBCOMMAND")
    c = lists.add_parser("check", help="screen a vendor name, or a vendor register (--file)")
    c.add_argument("name", nargs="*", help="the vendor name")
    c.add_argument("--file", metavar="CSV", help="screen every name in a CSV file")
    c.add_argument("--json", action="store_true", help="print JSON (one object per name)")
    c.add_argument(
        "--threshold",
        type=_threshold,
        default=DEFAULT_THRESHOLD,
        help=f"minimum match confidence, 0-1 (default {DEFAULT_THRESHOLD})",
    )
    c.set_defaults(handler=cmd_check)
    s = lists.add_parser("sync", help="refresh the lists from their official URLs")
    s.add_argument("--json", action="store_true")
    s.add_argument("--source", action="append", choices=["csl", "fcc"], help="only this source")
    s.add_argument("--no-alerts", action="store_true", help="do not post watch alerts to Slack")
    s.set_defaults(handler=cmd_sync)
    w = lists.add_parser("show", help="the list sources in use: dates, counts, URLs")
    w.add_argument("--json", action="store_true")
    w.set_defaults(handler=cmd_show)
    p.set_defaults(handler=lambda args, config: _usage(p))


def _usage(parser: argparse.ArgumentParser) -> int:
    parser.print_help(sys.stderr)
    return 2


def read_names(path: Path) -> list[str]:
    """Vendor names from a CSV: its `name` (or vendor/company/supplier) column, else column 1."""
    try:
        with path.open(encoding="utf-8-sig", errors="replace", newline="") as handle:
            rows = [row for row in csv.reader(handle) if any(cell.strip() for cell in row)]
    except OSError as exc:
        raise VendorcheckError(f"cannot read {path}: {exc.strerror}") from None
    except csv.Error as exc:
        raise VendorcheckError(f"{path} is not a readable CSV file ({exc})") from None
    if not rows:
        raise VendorcheckError(f"{path} holds no vendor names")
    header = [cell.strip().lower() for cell in rows[0]]
    column = next((i for i, cell in enumerate(header) if cell in HEADER_WORDS), None)
    body = rows[1:] if column is not None else rows
    column = column or 0
    names = [row[column].strip() for row in body if len(row) > column and row[column].strip()]
    if not names:
        raise VendorcheckError(f"{path} holds no vendor names")
    return names


def _print_status(status) -> None:  # type: ignore[no-untyped-def]
    print(status.message)
    for hit in status.hits:
        since = hit.since or "(no date)"
        print(f"  {since}  {hit.list_name}")
        alias = f", matched {hit.matched_name!r}" if hit.matched_name != hit.name else ""
        print(
            f"              listed as {hit.name!r} ({hit.how}{alias}, "
            f"confidence {hit.confidence:.2f})"
        )
        if hit.citation:
            print(f"              {hit.citation}")
        if hit.link:
            print(f"              {hit.link}")


def _table(statuses) -> None:  # type: ignore[no-untyped-def]
    width = min(max((len(s.vendor) for s in statuses), default=6), 40)
    print(f"{'vendor':<{width}}  {'status':<10}  {'since':<10}  {'conf':>4}  list")
    for status in statuses:
        vendor = status.vendor[:width]
        if not status.hits:
            print(f"{vendor:<{width}}  {'clear':<10}  {'':<10}  {'':>4}  -")
            continue
        for number, hit in enumerate(status.hits):
            shown = vendor if number == 0 else ""
            label = "LISTED" if number == 0 else ""
            since = hit.since or ""
            print(
                f"{shown:<{width}}  {label:<10}  {since:<10}  {hit.confidence:>4.2f}  "
                f"{hit.list_name} ({hit.name})"
            )
    listed = sum(1 for s in statuses if s.hits)
    as_of = statuses[0].as_of if statuses else None
    print(f"\n{listed} of {len(statuses)} names on a list we track (lists as of {as_of})")


def _screen_all(snapshot, names: list[str], threshold: float):  # type: ignore[no-untyped-def]
    from index.lists.status import vendor_status

    show_progress = sys.stderr.isatty() and len(names) >= PROGRESS_MIN_ROWS
    if not show_progress:
        return vendor_status(snapshot, names, threshold)
    from tqdm import tqdm

    out = []
    for name in tqdm(names, desc="screening", unit="name", file=sys.stderr):
        out.extend(vendor_status(snapshot, [name], threshold))
    return out


def cmd_check(args: argparse.Namespace, config) -> int:  # type: ignore[no-untyped-def]
    from index.lists.store import load_snapshot

    query = " ".join(args.name).strip()
    if bool(query) == bool(args.file):
        raise VendorcheckError('give a vendor name or --file vendors.csv, e.g. lists check "ZTE"')
    snapshot = load_snapshot(config)
    names = [query] if query else read_names(Path(args.file))
    statuses = _screen_all(snapshot, names, args.threshold)
    if args.json:
        for status in statuses:
            print(json.dumps(status.to_json(), ensure_ascii=False))
    elif args.file:
        _table(statuses)
    else:
        _print_status(statuses[0])
    return 0


def send_list_alerts(report, config, enabled: bool, out=None) -> None:  # type: ignore[no-untyped-def]
    """Alert the channels watching a vendor this sync added to or removed from a list; what
    was sent is printed to `out` (stdout)."""
    from index.watch.list_changes import changes_of

    if not enabled or not changes_of(report):
        return
    from bot.cli.alerting import post_to_watchers
    from bot.slack.alerts import post_list_alerts
    from index.lists.common import ListDataError
    from index.lists.store import load_snapshot

    try:
        snapshot = load_snapshot(config)
    except ListDataError:
        snapshot = None  # the changed entries alone weigh the names

    def describe(match) -> str:  # type: ignore[no-untyped-def]
        entry = match.change.entry
        return f"{match.vendor}: {entry.name} {match.change.kind} ({entry.list_name})"

    post_to_watchers(
        config,
        lambda client, watchlist: post_list_alerts(client, watchlist, report, snapshot),
        describe,
        out,
    )


def cmd_sync(args: argparse.Namespace, config) -> int:  # type: ignore[no-untyped-def]
    from index.lists.sync import sync_lists

    report = sync_lists(config, only=args.source)
    if args.json:
        print(json.dumps(report.to_json(), ensure_ascii=False))
    else:
        for result in report.sources:
            print(result.line(), file=sys.stdout if result.status != "failed" else sys.stderr)
            for change, sign in ((result.added, "+"), (result.removed, "-")):
                for item in change[:20]:
                    print(f"    {sign} {item.list_name}: {item.name}")
                if len(change) > 20:
                    print(f"    {sign} ... and {len(change) - 20} more")
            if result.baseline == "bundled" and (result.added or result.removed):
                print("    (compared with the bundled copy: first sync, no watch alerts)")
    # with --json, stdout stays one JSON object
    send_list_alerts(report, config, not args.no_alerts, sys.stderr if args.json else sys.stdout)
    return 0 if report.ok else 1


def cmd_show(args: argparse.Namespace, config) -> int:  # type: ignore[no-untyped-def]
    from index.lists.store import load_snapshot

    snapshot = load_snapshot(config)
    counts: dict[str, int] = {}
    for entry in snapshot.entries:
        counts[entry.list_name] = counts.get(entry.list_name, 0) + 1
    if args.json:
        data = {
            "sources": [info.to_json() for info in snapshot.sources.values()],
            "lists": [{"list": name, "entries": n} for name, n in counts.items()],
        }
        print(json.dumps(data, ensure_ascii=False))
        return 0
    for info in snapshot.sources.values():
        print(
            f"{info.source:<10} {info.entries:>6} entries  retrieved {info.retrieved}  ({info.origin})"
        )
        print(f"{'':<10} {info.url}")
        if info.note:
            print(f"{'':<10} {info.note}")
    print()
    for name, n in counts.items():
        print(f"  {n:>6}  {name}")
    return 0
