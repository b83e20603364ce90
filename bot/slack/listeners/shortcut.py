"""The "Check vendors" message shortcut: the vendors a message names, one ephemeral status line
each (official lists, corpus coverage) with a "Full answer" button; and that button (also on
the App Home tab's recent questions), which opens the answer privately."""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import App
from slack_sdk import WebClient

from bot.slack.checks import render_checks
from bot.slack.core import NO_UNFURL, VendorcheckBot
from bot.slack.mrkdwn import query_from_slack
from bot.slack.render import ACTION_OPEN, ButtonState, render_notice

log = logging.getLogger("vendorcheck.bot")

SHORTCUT_CHECK = "vc_check_vendors"  # callback_id in slack/manifest.yml


def _private(respond: Callable) -> Callable[[dict], None]:
    return lambda message: respond(response_type="ephemeral", replace_original=False, **message)


def on_check(bot: VendorcheckBot, body: dict, respond: Callable) -> None:
    user = (body.get("user") or {}).get("id") or ""
    text = query_from_slack((body.get("message") or {}).get("text") or "")
    limited = bot.limiter.refusal(user)
    if limited:
        bot.run("rate-limit", lambda: render_notice(limited), _private(respond))
        return
    log.info("check-vendors shortcut from %s (%d chars)", user, len(text))
    bot.run("check", lambda: render_checks(bot.asker.names_in(text)), _private(respond))


def on_open(
    bot: VendorcheckBot, body: dict, action: dict, respond: Callable, client: WebClient
) -> None:
    """The full answer: the stored one a button names, else its question asked now. From a
    message, privately via response_url; from the App Home tab (no response_url), in the DM."""
    state = ButtonState.decode(action.get("value", ""))
    user = (body.get("user") or {}).get("id") or ""

    def compute() -> dict:
        if state.answer_id or not state.query:
            return bot.page(state, ephemeral=bool(body.get("response_url")))
        return bot.answer(state.query, user=user, ephemeral=True)

    if body.get("response_url"):
        deliver = _private(respond)
    else:

        def deliver(message: dict) -> None:
            client.chat_postMessage(channel=user, **message, **NO_UNFURL)

    bot.run("open", compute, deliver)


def register(app: App, bot: VendorcheckBot) -> None:
    @app.shortcut(SHORTCUT_CHECK)
    def check(ack, body, respond):  # type: ignore[no-untyped-def]
        ack()
        on_check(bot, body, respond)

    @app.action(ACTION_OPEN)
    def open_answer(ack, body, action, respond, client):  # type: ignore[no-untyped-def]
        ack()
        on_open(bot, body, action, respond, client)
