"""@vendorcheck mentions (answered in a thread, follow-up mentions in it too) and direct
messages (answered in the DM). Bolt acks events itself; everything else is queued."""

from __future__ import annotations

import logging
import re

from slack_bolt import App
from slack_sdk import WebClient

from bot.slack.core import HELP_WORDS, NO_UNFURL, VendorcheckBot
from bot.slack.mrkdwn import query_from_slack
from bot.slack.render import render_notice, render_usage

log = logging.getLogger("vendorcheck.bot")


def on_conversation(
    bot: VendorcheckBot, event: dict, client: WebClient, bot_user_id: str | None
) -> None:
    """An @mention or a DM: answer in the thread (mentions) or the DM."""
    if event.get("bot_id") or event.get("subtype") or not event.get("user"):
        return
    if bot_user_id and event.get("user") == bot_user_id:
        return
    channel = event.get("channel") or ""
    thread = event.get("thread_ts") or (
        event.get("ts") if event.get("type") == "app_mention" else None
    )
    query = query_from_slack(event.get("text") or "", bot_user_id)

    def post(message: dict) -> None:
        client.chat_postMessage(channel=channel, thread_ts=thread, **message, **NO_UNFURL)

    if query.lower() in HELP_WORDS:
        bot.run("usage", render_usage, post)
        return
    limited = bot.limiter.refusal(event.get("user") or "")
    if limited:
        bot.run("rate-limit", lambda: render_notice(limited), post)
        return
    log.info("%s from %s (%d chars)", event.get("type"), event.get("user"), len(query))
    bot.run(
        event.get("type") or "message",
        lambda: bot.answer(query, user=event.get("user") or ""),
        post,
    )


def register(app: App, bot: VendorcheckBot) -> None:
    @app.event("app_mention")
    def mention(event, client, context):  # type: ignore[no-untyped-def]
        on_conversation(bot, event, client, context.bot_user_id)

    @app.event("message")
    def message(event, client, context):  # type: ignore[no-untyped-def]
        if event.get("channel_type") == "im":
            on_conversation(bot, event, client, context.bot_user_id)

    @app.event(re.compile(r".*"))
    def other_event() -> None:
        """Acknowledge any other event so Slack never sees a 404 and retries."""
