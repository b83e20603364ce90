"""The Bolt app: create it, put the middleware in front, register the listeners.

Every listener is fast: it checks the request, acks (or lets Bolt ack the event) and queues the
answer on the bounded job queue (bot/runtime/jobs.py); the answer follows via `respond`
(response_url) or `chat.postMessage`. Serving it is bot/runtime's job (HTTP or Socket Mode).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from slack_bolt import App
from slack_sdk import WebClient
from slack_sdk.http_retry.builtin_handlers import RateLimitErrorRetryHandler

from bot.runtime.jobs import AnswerService
from bot.slack.core import Asker, VendorcheckBot
from bot.slack.feedback import FeedbackStore
from bot.slack.listeners import register_listeners
from bot.slack.middleware import exactly_once
from bot.slack.settings import SlackSettings

log = logging.getLogger("vendorcheck.bot")


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
        self.bot.seen.close()
        return drained

    def status(self) -> dict[str, Any]:
        """For /healthz: the index generation answering now, its size, the answers queued."""
        stored = getattr(self.bot.asker, "index", None)
        return {
            "generation": getattr(getattr(stored, "generation", None), "name", None),
            "articles": len(getattr(stored, "articles", []) or []),
            "pending_answers": self.service.pending,
        }


def web_client(settings: SlackSettings) -> WebClient:
    client = WebClient(token=settings.bot_token, base_url=settings.api_url)
    # Slack answers 429 with Retry-After under bursts; wait and retry instead of failing.
    client.retry_handlers.append(RateLimitErrorRetryHandler(max_retry_count=2))
    return client


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
    # Bolt warns that SLACK_BOT_TOKEN from the environment is "unused" when a client is given;
    # it is the very token the client carries, so the warning would only mislead.
    logging.getLogger("slack_bolt.App").addFilter(
        lambda record: "token will be unused" not in record.getMessage()
    )
    app = App(
        client=client or web_client(settings),
        signing_secret=settings.signing_secret,
        process_before_response=True,  # listeners only ack + queue, so this costs nothing
        request_verification_enabled=True,
        ignoring_self_events_enabled=True,
        logger=logger,
    )
    bot = VendorcheckBot(settings, asker, store)
    app.middleware(exactly_once(bot.seen))
    register_listeners(app, bot)
    return BotRuntime(app=app, service=bot.service, store=store, settings=settings, bot=bot)
