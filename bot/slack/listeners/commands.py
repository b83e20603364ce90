"""`/vendorcheck <question or vendor>`: acked at once (usage and refusals in the ack itself),
answered privately via response_url with Share / Keep buttons. `/vendorcheck add|watch|...`
go to the subcommands listeners/admin.py registers."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from slack_bolt import App

from bot.slack.core import HELP_WORDS, NO_UNFURL, VendorcheckBot
from bot.slack.mrkdwn import query_from_slack
from bot.slack.render import render_notice, render_usage

log = logging.getLogger("vendorcheck.bot")


def on_command(bot: VendorcheckBot, ack: Callable, body: dict, respond: Callable) -> None:
    query = query_from_slack(body.get("text") or "")
    user = body.get("user_id") or ""
    if query.lower() in HELP_WORDS:
        ack(response_type="ephemeral", **render_usage())
        return
    handler = bot.subcommands.get(query.split(None, 1)[0].lower())
    if handler is not None and handler(ack, body, respond):
        return
    limited = bot.limiter.refusal(user)
    if limited:
        ack(response_type="ephemeral", **render_notice(limited))
        return
    ack()
    log.info("command from %s (%d chars)", user, len(query))

    def deliver(message: dict) -> None:
        respond(response_type="ephemeral", replace_original=False, **message, **NO_UNFURL)

    bot.run("command", lambda: bot.answer(query, user=user, ephemeral=True), deliver)


def register(app: App, bot: VendorcheckBot) -> None:
    @app.command(re.compile(r"^/"))
    def command(ack, body, respond):  # type: ignore[no-untyped-def]
        on_command(bot, ack, body, respond)
