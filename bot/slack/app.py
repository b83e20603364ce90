"""The Bolt app: slash command, @mentions, DMs and the answer buttons.

Every listener is fast: it checks the request, acks (or lets Bolt ack the event) and queues the
answer on the bounded AnswerService; the answer follows via `respond` (response_url) or
`chat.postMessage`. Button state is the stored answer's id plus the question (re-asked if the
stored answer is gone), so buttons keep working across restarts.
"""

from __future__ import annotations

import logging
import re
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any, Protocol

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.errors import SlackApiError
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.runtime.jobs import AnswerService
from bot.slack.feedback import FeedbackStore, shown_results
from bot.slack.middleware import RateLimiter, TTLSet, exactly_once
from bot.slack.mrkdwn import query_from_slack
from bot.slack.render import (
    ACTION_DISMISS,
    ACTION_HELPFUL,
    ACTION_MORE,
    ACTION_SHARE,
    ACTION_UNHELPFUL,
    ButtonState,
    render_answer,
    render_notice,
    render_usage,
)
from bot.slack.settings import SlackSettings
from index.search.results import Answer

log = logging.getLogger("vendorcheck.bot")

HELP_WORDS = {"", "help", "-h", "--help", "?", "usage"}
TIMEOUT_TEXT = (
    "Sorry, that took too long to answer (over {seconds:g} s). Please try again in a moment."
)
ERROR_TEXT = "Sorry, something went wrong while answering. Please try again."
BUSY_TEXT = "vendorcheck is busy or restarting right now; please ask again in a minute."
RATE_TEXT = (
    "You've asked {limit} questions in the last {window:g} seconds. "
    "Please wait {wait:.0f} s before asking again."
)
EXPIRED_TEXT = "That answer is no longer available; please ask again."
LONG_QUERY_NOTE = "Your question was {length:,} characters; only the first {kept} were used."
NO_UNFURL = {"unfurl_links": False, "unfurl_media": False}


class Asker(Protocol):
    def ask(self, raw_query: str, k: int = 5) -> Answer: ...


# A `/vendorcheck <word> ...` subcommand contributed by another module (e.g. freshness: add,
# watch). Called as handler(ack, body, respond); returns False to let the text be answered as
# a question after all (it must not have acked then).
Subcommand = Callable[[Callable, dict, Callable], bool]


@dataclass
class BotRuntime:
    """The Bolt app plus what must outlive a request and be drained on shutdown."""

    app: App
    service: AnswerService
    store: FeedbackStore
    settings: SlackSettings
    bot: VendorcheckBot
    on_close: list[Callable[[], None]] = field(default_factory=list)

    def close(self) -> bool:
        """Stop taking questions, let in-flight answers finish (bounded). True if all did."""
        drained = self.service.close(self.settings.shutdown_grace)
        for hook in self.on_close:
            try:
                hook()
            except Exception:
                log.exception("shutdown hook failed")
        self.store.close()
        return drained

    def status(self) -> dict[str, Any]:
        """For /healthz: the index generation answering now, its size, the answers queued."""
        stored = getattr(self.bot.asker, "index", None)
        return {
            "generation": getattr(getattr(stored, "generation", None), "name", None),
            "articles": len(getattr(stored, "articles", []) or []),
            "pending_answers": self.service.pending,
        }


class VendorcheckBot:
    def __init__(self, settings: SlackSettings, asker: Asker, store: FeedbackStore) -> None:
        self.settings = settings
        self.asker = asker
        self.store = store
        self.seen = TTLSet(settings.dedupe_ttl)
        self.limiter = RateLimiter(settings.rate_limit, settings.rate_window)
        self.service = AnswerService(
            settings.answer_workers, settings.max_pending, settings.answer_timeout
        )
        self.subcommands: dict[str, Subcommand] = {}

    # -- answering ---------------------------------------------------------------------------

    def ask(self, query: str) -> Answer:
        notes = []
        limit = self.settings.max_query_chars
        if len(query) > limit:
            cut = query[:limit].rsplit(" ", 1)[0] or query[:limit]
            notes.append(LONG_QUERY_NOTE.format(length=len(query), kept=len(cut)))
            query = cut
        answer = self.asker.ask(query, k=self.settings.max_sources)
        answer.notices = notes + [n for n in answer.notices if n not in notes]
        return answer

    def render(self, answer: Answer, answer_id: str, **options: Any) -> dict:
        return render_answer(
            answer,
            answer_id=answer_id,
            per_page=self.settings.sources_per_message,
            **options,
        )

    def save(self, answer: Answer) -> str:
        return self.store.save_answer(answer) if answer.results else ""

    def rate_limited(self, user: str) -> str | None:
        wait = self.limiter.check(user or "?")
        if not wait:
            return None
        return RATE_TEXT.format(
            limit=self.settings.rate_limit, window=self.settings.rate_window, wait=wait
        )

    def run(self, name: str, compute: Callable[[], dict], deliver: Callable[[dict], Any]) -> None:
        """Queue `compute` -> `deliver`, with "took too long" / error / busy replies."""
        timeout = self.settings.answer_timeout

        def work(claim: Callable[[], bool]) -> None:
            message = compute()
            if claim():
                deliver(message)

        def failed(reason: str) -> None:
            text = {
                "timeout": TIMEOUT_TEXT.format(seconds=timeout),
                "shutdown": BUSY_TEXT,  # stopped before this answer was ready
            }.get(reason, ERROR_TEXT)
            deliver(render_notice(text))

        if not self.service.submit(name, work, failed):
            try:
                deliver(render_notice(BUSY_TEXT))
            except Exception:
                log.exception("could not send the busy reply")

    def load(self, state: ButtonState) -> tuple[Answer | None, str]:
        """The answer a button refers to: stored, or re-asked from its question."""
        answer = self.store.load_answer(state.answer_id)
        if answer is not None:
            return answer, state.answer_id
        if not state.query:
            return None, ""
        answer = self.ask(state.query)
        return answer, self.save(answer)

    # -- surfaces ----------------------------------------------------------------------------

    def on_command(self, ack: Callable, body: dict, respond: Callable) -> None:
        query = query_from_slack(body.get("text") or "")
        user = body.get("user_id") or ""
        if query.lower() in HELP_WORDS:
            ack(response_type="ephemeral", **render_usage())
            return
        first = query.split(None, 1)[0].lower()
        handler = self.subcommands.get(first)
        if handler is not None and handler(ack, body, respond):
            return
        limited = self.rate_limited(user)
        if limited:
            ack(response_type="ephemeral", **render_notice(limited))
            return
        ack()
        log.info("command from %s (%d chars)", user, len(query))

        def compute() -> dict:
            answer = self.ask(query)
            return self.render(answer, self.save(answer), ephemeral=True)

        self.run(
            "command",
            compute,
            lambda msg: respond(
                response_type="ephemeral", replace_original=False, **msg, **NO_UNFURL
            ),
        )

    def on_conversation(self, event: dict, client: WebClient, bot_user_id: str | None) -> None:
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
            self.run("usage", render_usage, post)
            return
        limited = self.rate_limited(event.get("user") or "")
        if limited:
            self.run("rate-limit", lambda: render_notice(limited), post)
            return
        log.info("%s from %s (%d chars)", event.get("type"), event.get("user"), len(query))

        def compute() -> dict:
            answer = self.ask(query)
            return self.render(answer, self.save(answer))

        self.run(event.get("type") or "message", compute, post)

    def on_share(self, body: dict, action: dict, respond: Callable) -> None:
        state = ButtonState.decode(action.get("value", ""))
        user = (body.get("user") or {}).get("id")

        def compute() -> dict:
            answer, answer_id = self.load(state)
            if answer is None:
                return render_notice(EXPIRED_TEXT)
            return self.render(answer, answer_id, offset=state.offset, shared_by=user)

        def deliver(message: dict) -> None:
            if message.get("blocks") and len(message["blocks"]) > 1:
                respond(response_type="in_channel", replace_original=False, **message, **NO_UNFURL)
                respond(delete_original=True)
            else:
                respond(response_type="ephemeral", replace_original=False, **message)

        self.run("share", compute, deliver)

    def on_more(self, body: dict, action: dict, respond: Callable, client: WebClient) -> None:
        state = ButtonState.decode(action.get("value", ""))
        container = body.get("container") or {}
        message = body.get("message") or {}
        channel = (body.get("channel") or {}).get("id") or container.get("channel_id")
        thread = message.get("thread_ts") or message.get("ts")
        in_public = not container.get("is_ephemeral") and channel and thread

        def compute() -> dict:
            answer, answer_id = self.load(state)
            if answer is None:
                return render_notice(EXPIRED_TEXT)
            return self.render(answer, answer_id, offset=state.offset, ephemeral=not in_public)

        def deliver(msg: dict) -> None:
            if in_public:
                try:
                    client.chat_postMessage(channel=channel, thread_ts=thread, **msg, **NO_UNFURL)
                    return
                except SlackApiError as exc:  # e.g. not_in_channel: show it to the clicker
                    log.info(
                        "more sources: chat.postMessage failed (%s)", exc.response.get("error")
                    )
            respond(response_type="ephemeral", replace_original=False, **msg, **NO_UNFURL)

        self.run("more", compute, deliver)

    def on_feedback(self, body: dict, action: dict, respond: Callable, helpful: bool) -> None:
        """Recorded before the ack returns (so an acked click is never lost); thanks follows."""
        state = ButtonState.decode(action.get("value", ""))
        answer = self.store.load_answer(state.answer_id)
        results = shown_results(answer, state.offset) if answer else []
        self.store.record(
            user_id=(body.get("user") or {}).get("id") or "",
            helpful=helpful,
            query=answer.query if answer else state.query,
            results=results,
            answer_id=state.answer_id,
            channel_id=(body.get("channel") or {}).get("id") or "",
        )
        thanks = "Thanks, noted as helpful." if helpful else "Thanks, noted as not helpful."
        self.run(
            "feedback",
            lambda: render_notice(thanks),
            lambda msg: respond(response_type="ephemeral", replace_original=False, **msg),
        )


def create_app(
    settings: SlackSettings,
    asker: Asker,
    store: FeedbackStore,
    *,
    client: WebClient | None = None,
    logger: logging.Logger | None = None,
) -> BotRuntime:
    """Build the Bolt app. Request verification stays on (signing secret; never the deprecated
    verification token); `url_verification` and `ssl_check` are answered by Bolt per spec."""
    if client is None:
        client = WebClient(token=settings.bot_token, base_url=settings.api_url)
        # Slack answers 429 with Retry-After under bursts; wait and retry instead of failing.
        client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
    # Bolt warns that SLACK_BOT_TOKEN from the environment is "unused" when a client is given;
    # it is the very token the client carries, so the warning would only mislead.
    logging.getLogger("slack_bolt.App").addFilter(
        lambda record: "token will be unused" not in record.getMessage()
    )
    app = App(
        client=client,
        signing_secret=settings.signing_secret,
        process_before_response=True,  # listeners only ack + queue, so this costs nothing
        request_verification_enabled=True,
        ignoring_self_events_enabled=True,
        logger=logger,
    )
    bot = VendorcheckBot(settings, asker, store)

    app.middleware(exactly_once(bot.seen))

    @app.command(re.compile(r"^/"))
    def command(ack, body, respond):  # type: ignore[no-untyped-def]
        bot.on_command(ack, body, respond)

    @app.event("app_mention")
    def mention(event, client, context):  # type: ignore[no-untyped-def]
        bot.on_conversation(event, client, context.bot_user_id)

    @app.event("message")
    def message(event, client, context):  # type: ignore[no-untyped-def]
        if event.get("channel_type") == "im":
            bot.on_conversation(event, client, context.bot_user_id)

    @app.event(re.compile(r".*"))
    def other_event() -> None:
        """Acknowledge any other event so Slack never sees a 404 and retries."""

    @app.action(ACTION_SHARE)
    def share(ack, body, action, respond):  # type: ignore[no-untyped-def]
        ack()
        bot.on_share(body, action, respond)

    @app.action(ACTION_DISMISS)
    def dismiss(ack, respond):  # type: ignore[no-untyped-def]
        ack()
        bot.run("dismiss", lambda: {}, lambda _msg: respond(delete_original=True))

    @app.action(ACTION_MORE)
    def more(ack, body, action, respond, client):  # type: ignore[no-untyped-def]
        ack()
        bot.on_more(body, action, respond, client)

    @app.action(ACTION_HELPFUL)
    def helpful(ack, body, action, respond):  # type: ignore[no-untyped-def]
        bot.on_feedback(body, action, respond, helpful=True)
        ack()

    @app.action(ACTION_UNHELPFUL)
    def unhelpful(ack, body, action, respond):  # type: ignore[no-untyped-def]
        bot.on_feedback(body, action, respond, helpful=False)
        ack()

    @app.action(re.compile(r".*"))
    def other_action(ack) -> None:  # type: ignore[no-untyped-def]
        ack()

    return BotRuntime(app=app, service=bot.service, store=store, settings=settings, bot=bot)
