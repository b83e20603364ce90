"""CLI for keeping the corpus fresh: `add URL`, `sync`, and the watchlist commands.

`vendorcheck add` itself lives in bot/cli/main.py (it takes files and URLs); it calls
`add_urls_cli` here for the URLs. What they print is bot/cli/output.py's. After an add or
sync, new articles that mention a watched vendor are announced in the watching Slack channels
when SLACK_BOT_TOKEN is set (`--no-alerts` turns that off).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from bot.cli.alerting import post_to_watchers
from bot.cli.output import describe, print_build_report, print_refresh
from index import EngineConfig, RefreshReport, Watchlist, add_urls, sync_feeds
from index.text.urls import normalize_url


def send_alerts(report: RefreshReport, config: EngineConfig, enabled: bool) -> None:
    """Announce new articles to watching channels (CLI runs; the bot does this itself)."""
    if not enabled or not report.new_articles:
        return
    from bot.slack.alerts import post_alerts

    post_to_watchers(
        config,
        lambda client, watchlist: post_alerts(client, watchlist, report.new_articles),
        lambda match: f"{match.vendor} in {match.article.title!r}",
    )


def add_urls_cli(
    urls: Sequence[str], config: EngineConfig, alerts: bool = True, extra_ok: int = 0
) -> int:
    """`vendorcheck add URL...`; `extra_ok` counts article files copied alongside."""

    report = add_urls(config, urls, progress=sys.stderr.isatty())
    for outcome in report.outcomes:
        print(describe(outcome), file=sys.stderr if outcome.status == "failed" else sys.stdout)
    if report.build is not None:
        print_build_report(report.build)
    elif extra_ok:
        from index import build

        print_build_report(build(config, progress=sys.stderr.isatty()))
    send_alerts(report, config, alerts)
    return 1 if report.failures else 0


def cmd_sync(args: argparse.Namespace, config: EngineConfig) -> int:
    report = sync_feeds(config, only=args.feed or (), progress=sys.stderr.isatty())
    print_refresh(report)
    if report.build is not None and report.build.wrote_new_generation:
        print_build_report(report.build)
    elif not report.outcomes:
        print("Nothing new.")
    send_alerts(report, config, not args.no_alerts)
    broken = [f for f in report.feeds if f.error]
    return 1 if broken and len(broken) == len(report.feeds) else 0


def cmd_feeds(args: argparse.Namespace, config: EngineConfig) -> int:
    """The feeds `sync` reads, their filters, and when each was last read."""
    from index.ingest.feeds import STATE_FILE, FeedState, load_feeds
    from index.ingest.refresh import feeds_path

    path = feeds_path(config)
    specs = load_feeds(path)
    if not specs:
        print(f"No feeds in {path}. Add some (see README, Keeping the corpus fresh).")
        return 0
    state = FeedState(config.data_dir / STATE_FILE)
    for spec in specs:
        feed_state = state.data.get(normalize_url(spec.url), {})
        print(spec.label if not spec.name else f"{spec.name}  {spec.url}")
        if spec.filters:
            print(f"  only entries mentioning: {', '.join(spec.filters)}")
        last = feed_state.get("last_read")
        seen = len(feed_state.get("seen", {}))
        print(f"  last read: {last or 'never'}; {seen} entries handled")
    return 0


def _each_vendor(
    args: argparse.Namespace,
    config: EngineConfig,
    change: Callable[[Watchlist, str, str], bool],
    done: str,
    not_done: str,
) -> int:
    """`change(watchlist, channel, vendor)` for each vendor named; one line per vendor."""
    watchlist = Watchlist(config.data_dir)
    try:
        for vendor in args.vendors:
            changed = change(watchlist, args.channel, vendor)
            print(f"{done if changed else not_done} {vendor} in {args.channel}")
    finally:
        watchlist.close()
    return 0


def cmd_watch(args: argparse.Namespace, config: EngineConfig) -> int:
    def watch(watchlist: Watchlist, channel: str, vendor: str) -> bool:
        return watchlist.watch(channel, vendor, user="cli")

    return _each_vendor(args, config, watch, "watching", "already watching")


def cmd_unwatch(args: argparse.Namespace, config: EngineConfig) -> int:
    return _each_vendor(args, config, Watchlist.unwatch, "stopped watching", "was not watching")


def cmd_watching(args: argparse.Namespace, config: EngineConfig) -> int:
    watchlist = Watchlist(config.data_dir)
    try:
        watches = watchlist.watching(args.channel)
    finally:
        watchlist.close()
    if not watches:
        print("No channel watches any vendor." if not args.channel else "Nothing watched there.")
    for channel, vendors in watches.items():
        print(f"{channel:<14} {', '.join(vendors)}")
    return 0


def register_cli(sub, common: argparse.ArgumentParser, corpus: argparse.ArgumentParser) -> None:  # type: ignore[no-untyped-def]
    p = sub.add_parser(
        "sync",
        parents=[common, corpus],
        help="fetch new entries of the feeds in feeds.yml, add and index them",
    )
    p.add_argument("--feed", action="append", metavar="NAME", help="only this feed (repeatable)")
    p.add_argument("--no-alerts", action="store_true", help="do not post watch alerts to Slack")
    p.set_defaults(handler=cmd_sync)

    p = sub.add_parser("feeds", parents=[corpus], help="list the feeds that sync reads")
    p.set_defaults(handler=cmd_feeds)

    p = sub.add_parser("watch", help="make a Slack channel watch vendors (alerts on new articles)")
    p.add_argument("channel", help="Slack channel id, e.g. C0123456789")
    p.add_argument("vendors", nargs="+", metavar="VENDOR")
    p.set_defaults(handler=cmd_watch)

    p = sub.add_parser("unwatch", help="stop a channel watching vendors")
    p.add_argument("channel")
    p.add_argument("vendors", nargs="+", metavar="VENDOR")
    p.set_defaults(handler=cmd_unwatch)

    p = sub.add_parser("watching", help="list the vendors each channel watches")
    p.add_argument("channel", nargs="?", help="only this channel")
    p.set_defaults(handler=cmd_watching)
