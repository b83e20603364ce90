"""The "Export evidence" button on every answer with sources: the answer's evidence
(index/search/evidence.py: question, time, index, quotes with offsets and article sha256) as
Markdown and JSON, uploaded to the user's DM with vendorcheck (`files_upload_v2`)."""

from __future__ import annotations

import logging
from collections.abc import Callable

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError

from bot.slack.core import EXPIRED_TEXT, VendorcheckBot
from bot.slack.mrkdwn import clean
from bot.slack.render import ACTION_EXPORT, ButtonState, render_notice
from index.search.evidence import evidence, to_json, to_markdown

log = logging.getLogger("vendorcheck.bot")

SENT_TEXT = (
    "The evidence for this answer (.md and .json) is in your direct messages with vendorcheck."
)
FAILED_TEXT = "Sorry, the evidence could not be uploaded ({error}). Please try again."


def upload_evidence(client: WebClient, user: str, record: dict) -> None:
    """Both forms of `record`, in one message of the user's DM with the app."""
    dm = client.conversations_open(users=user)["channel"]["id"]
    stem = "vendorcheck-evidence-" + record["asked_at"][:19].replace(":", "").replace("-", "")
    question = clean(record["question"])[:200]
    client.files_upload_v2(
        channel=dm,
        initial_comment=f"Evidence for “{question}” (index {record['index']['generation']})",
        file_uploads=[
            {"content": to_markdown(record), "filename": f"{stem}.md", "title": f"{stem}.md"},
            {"content": to_json(record), "filename": f"{stem}.json", "title": f"{stem}.json"},
        ],
    )


def on_export(
    bot: VendorcheckBot, body: dict, action: dict, respond: Callable, client: WebClient
) -> None:
    state = ButtonState.decode(action.get("value", ""))
    user = (body.get("user") or {}).get("id") or ""

    def compute() -> dict:
        answer, answer_id = bot.load(state)
        if answer is None or not answer.results:
            return render_notice(EXPIRED_TEXT)
        record = evidence(answer, bot.store.answered_at(answer_id))
        try:
            upload_evidence(client, user, record)
        except SlackApiError as exc:
            log.warning("evidence upload failed: %s", exc.response.get("error"))
            return render_notice(FAILED_TEXT.format(error=exc.response.get("error") or "error"))
        log.info("evidence of answer %s sent to %s", answer_id, user)
        return render_notice(SENT_TEXT)

    def deliver(message: dict) -> None:
        respond(response_type="ephemeral", replace_original=False, **message)

    bot.run("export", compute, deliver)


def register(app: App, bot: VendorcheckBot) -> None:
    @app.action(ACTION_EXPORT)
    def export(ack, body, action, respond, client):  # type: ignore[no-untyped-def]
        ack()
        on_export(bot, body, action, respond, client)
