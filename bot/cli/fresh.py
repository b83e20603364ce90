"""CLI for keeping the corpus fresh: `add URL`, `sync`, and the watchlist commands.

`vendorcheck add` itself lives in bot/cli.py (it takes files and URLs); it calls
`add_urls_cli` here for the URLs. After an add or sync, new articles that mention a watched
vendor are announced in the watching Slack channels when SLACK_BOT_TOKEN is set (`--no-alerts`
turns that off).
"""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence
from typing import TextIO

from bot.cli.output import print_build_report
from index.config import EngineConfig
from index.ingest.refresh import Outcome, RefreshReport, add_urls, sync_feeds
from index.text.urls import normalize_url
from index.watch.watchlist import Watchlist


def describe(outcome: Outcome) -> str:
    """One or two lines about one URL: what happened and, when saved, what was extracted."""
    if outcome.status in ("failed", "filtered", "exists"):
        # fetch errors already name the URL they are about (a redirect's target, maybe)
        about = "" if outcome.message.startswith(("http://", "https://")) else f"{outcome.url}: "
        return f"{outcome.status:<9} {about}{outcome.message}"
    line = f"{outcome.status:<9} {outcome.url}"
    article = outcome.article
    if article is not None:
        facts = ", ".join(
            p
            for p in (
                article.publisher,
                article.published_iso or "no date",
                f"{outcome.passages} passage{'s' if outcome.passages != 1 else ''}",
            )
            if p
        )
        line += f"\n          {article.title!r} ({facts}) -> {article.source}"
    return line


def print_refresh(report: RefreshReport, stream: TextIO = sys.stdout) -> None:
    for feed in report.feeds:
        if feed.error:
            print(f"feed      {feed.label}: {feed.error}", file=stream)
        elif feed.not_modified:
            print(f"feed      {feed.label}: not modified since the last sync", file=stream)
        else:
            n = feed.new_entries
            print(f"feed      {feed.label}: {n} new entr{'y' if n == 1 else 'ies'}", file=stream)
    for outcome in report.outcomes:
        print(describe(outcome), file=stream)


def send_alerts(report: RefreshReport, config: EngineConfig, enabled: bool) -> None:
    """Announce new articles to watching channels (CLI runs; the bot does this itself)."""
    if not enabled or not report.new_articles:
        return
    from bot.slack.alerts import client_from_env, post_alerts

    watchlist = Watchlist(config.data_dir)
    try:
        if not watchlist.watching():
            return
        client = client_from_env()
        if client is None:
            print("alerts    not sent: SLACK_BOT_TOKEN is not set", file=sys.stderr)
            return
        alerts = post_alerts(client, watchlist, report.new_articles)
    finally:
        watchlist.close()
    for match in alerts.sent:
        print(f"alerted   {match.channel}: {match.vendor} in {match.article.title!r}")
    for match, error in alerts.failed:
        print(f"alert     {match.channel}: not sent ({error})", file=sys.stderr)


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
        from index.engine import build

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


def cmd_watch(args: argparse.Namespace, config: EngineConfig) -> int:
    watchlist = Watchlist(config.data_dir)
    try:
        for vendor in args.vendors:
            new = watchlist.watch(args.channel, vendor, user="cli")
            print(f"{'watching' if new else 'already watching'} {vendor} in {args.channel}")
    finally:
        watchlist.close()
    return 0


def cmd_unwatch(args: argparse.Namespace, config: EngineConfig) -> int:
    watchlist = Watchlist(config.data_dir)
    try:
        for vendor in args.vendors:
            gone = watchlist.unwatch(args.channel, vendor)
            print(
                f"{'stopped watching' if gone else 'was not watching'} {vendor} in {args.channel}"
            )
    finally:
        watchlist.close()
    return 0


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
