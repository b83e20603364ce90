"""The answer buttons: Helpful / Not helpful (recorded before the ack), More sources, Share in
channel / Keep to myself. A button carries the stored answer's id and its question
(render.ButtonState), so it keeps working across restarts."""

from __future__ import annotations

import logging
import re
from collections.abc import Callable

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.core import NO_UNFURL, VendorcheckBot
from bot.slack.feedback import shown_results
from bot.slack.render import (
    ACTION_DISMISS,
    ACTION_HELPFUL,
    ACTION_MORE,
    ACTION_SHARE,
    ACTION_UNHELPFUL,
    ButtonState,
    render_notice,
)

log = logging.getLogger("vendorcheck.bot")


def on_share(bot: VendorcheckBot, body: dict, action: dict, respond: Callable) -> None:
    state = ButtonState.decode(action.get("value", ""))
    user = (body.get("user") or {}).get("id")

    def deliver(message: dict) -> None:
        if message.get("blocks") and len(message["blocks"]) > 1:
            respond(response_type="in_channel", replace_original=False, **message, **NO_UNFURL)
            respond(delete_original=True)
        else:
            respond(response_type="ephemeral", replace_original=False, **message)

    bot.run("share", lambda: bot.page(state, shared_by=user), deliver)


def on_more(
    bot: VendorcheckBot, body: dict, action: dict, respond: Callable, client: WebClient
) -> None:
    """The next page: in the thread for everyone when the answer was public, else privately."""
    state = ButtonState.decode(action.get("value", ""))
    container = body.get("container") or {}
    message = body.get("message") or {}
    channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
    thread = message.get("thread_ts") or message.get("ts")
    in_public = not container.get("is_ephemeral") and channel and thread

    def deliver(msg: dict) -> None:
        if in_public:
            try:
                client.chat_postMessage(channel=channel, thread_ts=thread, **msg, **NO_UNFURL)
                return
            except SlackApiError as exc:  # e.g. not_in_channel: show it to the clicker
                log.info("more sources: chat.postMessage failed (%s)", exc.response.get("error"))
        respond(response_type="ephemeral", replace_original=False, **msg, **NO_UNFURL)

    bot.run("more", lambda: bot.page(state, ephemeral=not in_public), deliver)


def on_feedback(
    bot: VendorcheckBot, body: dict, action: dict, respond: Callable, helpful: bool
) -> None:
    """Recorded before the ack returns (so an acked click is never lost); thanks follows."""
    state = ButtonState.decode(action.get("value", ""))
    answer = bot.store.load_answer(state.answer_id)
    bot.store.record(
        user_id=(body.get("user") or {}).get("id") or "",
        helpful=helpful,
        query=answer.query if answer else state.query,
        results=shown_results(answer, state.offset) if answer else [],
        answer_id=state.answer_id,
        channel_id=(body.get("channel") or {}).get("id") or "",
    )
    thanks = "Thanks, noted as helpful." if helpful else "Thanks, noted as not helpful."
    bot.run(
        "feedback",
        lambda: render_notice(thanks),
        lambda msg: respond(response_type="ephemeral", replace_original=False, **msg),
    )


def register(app: App, bot: VendorcheckBot) -> None:
    @app.action(ACTION_SHARE)
    def share(ack, body, action, respond):  # type: ignore[no-untyped-def]
        ack()
        on_share(bot, body, action, respond)

    @app.action(ACTION_DISMISS)
    def dismiss(ack, respond):  # type: ignore[no-untyped-def]
        ack()
        bot.run("dismiss", lambda: {}, lambda _msg: respond(delete_original=True))

    @app.action(ACTION_MORE)
    def more(ack, body, action, respond, client):  # type: ignore[no-untyped-def]
        ack()
        on_more(bot, body, action, respond, client)

    @app.action(ACTION_HELPFUL)
    def helpful(ack, body, action, respond):  # type: ignore[no-untyped-def]
        on_feedback(bot, body, action, respond, helpful=True)
        ack()

    @app.action(ACTION_UNHELPFUL)
    def unhelpful(ack, body, action, respond):  # type: ignore[no-untyped-def]
        on_feedback(bot, body, action, respond, helpful=False)
        ack()

    @app.action(re.compile(r".*"))
    def other_action(ack) -> None:  # type: ignore[no-untyped-def]
        ack()
