"""`vendorcheck feedback`: the votes recorded from the Slack answers' Helpful / Not helpful
buttons (stored by bot/slack/feedback.py's FeedbackStore)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path

from bot.cli.output import print_feedback
from bot.slack.feedback import DB_NAME, FeedbackStore


def cmd_feedback(args: argparse.Namespace, config) -> int:  # type: ignore[no-untyped-def]
    path = Path(config.data_dir) / DB_NAME
    if not path.exists():
        print(f"No feedback yet ({path} does not exist).")
        return 0
    store = FeedbackStore(config.data_dir)
    verdict = {"helpful": "helpful", "not-helpful": "not_helpful"}.get(args.only or "")
    records = store.feedback(limit=args.limit, verdict=verdict)
    store.close()
    if args.json:
        for record in records:
            print(json.dumps(record, ensure_ascii=False))
        return 0
    print_feedback(records)
    return 0


def register_cli(sub, common, corpus) -> None:  # type: ignore[no-untyped-def]
    p = sub.add_parser("feedback", help="show feedback recorded from the Slack buttons")
    p.add_argument("--json", action="store_true", help="one JSON object per record")
    p.add_argument("--limit", type=int, help="only the N most recent records")
    p.add_argument("--only", choices=["helpful", "not-helpful"], help="filter by verdict")
    p.set_defaults(handler=cmd_feedback)
