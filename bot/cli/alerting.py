"""Watch alerts from CLI runs (`add`, `sync`, `lists sync`): the bot posts its own."""

from __future__ import annotations

import sys
from collections.abc import Callable
from typing import Any, TextIO

from index.config import EngineConfig
from index.watch.watchlist import Watchlist


def post_to_watchers(
    config: EngineConfig,
    post: Callable[[Any, Watchlist], Any],
    describe: Callable[[Any], str],
    out: TextIO | None = None,
) -> None:
    """Call `post(client, watchlist)` when some channel watches something and a bot token is
    set (else say why on stderr), then print a line per alert sent (to `out`, default stdout)
    and per alert Slack refused (stderr)."""
    from bot.slack.alerts import client_from_settings
    from bot.slack.settings import SlackSettings

    watchlist = Watchlist(config.data_dir)
    try:
        if not watchlist.watching():
            return
        client = client_from_settings(SlackSettings.credentials_from_env())
        if client is None:
            print("alerts    not sent: SLACK_BOT_TOKEN is not set", file=sys.stderr)
            return
        alerts = post(client, watchlist)
    finally:
        watchlist.close()
    for match in alerts.sent:
        print(f"alerted   {match.channel}: {describe(match)}", file=out or sys.stdout)
    for match, error in alerts.failed:
        print(f"alert     {match.channel}: not sent ({error})", file=sys.stderr)
