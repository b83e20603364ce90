"""What every listener shares: ask the engine, store and render an answer, and run the work
after the ack on the bounded job queue with the "took too long" / error / busy replies.

Listeners (bot/slack/listeners/) only parse a request, ack it and hand `VendorcheckBot.run` a
`compute` (engine + render, on a worker) and a `deliver` (respond or chat.postMessage).
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from typing import Any, Protocol

from bot.runtime.dedupe import DeliveryLog
from bot.runtime.jobs import AnswerService
from bot.slack.feedback import FeedbackStore
from bot.slack.middleware import RateLimiter, current_delivery
from bot.slack.render import ButtonState, render_answer, render_notice
from bot.slack.settings import SlackSettings
from index.search.names import NameCheck
from index.search.plan import clean_query
from index.search.results import Answer

log = logging.getLogger("vendorcheck.bot")

TIMEOUT_TEXT = (
    "Sorry, that took too long to answer (over {seconds:g} s). Please try again in a moment."
)
ERROR_TEXT = "Sorry, something went wrong while answering. Please try again."
BUSY_TEXT = "vendorcheck is busy or restarting right now; please ask again in a minute."
EXPIRED_TEXT = "That answer is no longer available; please ask again."
HELP_WORDS = {"", "help", "-h", "--help", "?", "usage"}
NO_UNFURL = {"unfurl_links": False, "unfurl_media": False}


class Asker(Protocol):
    def ask(self, raw_query: str, k: int = 5) -> Answer: ...

    def names_in(self, text: str) -> list[NameCheck]: ...  # the "Check vendors" shortcut


# A `/vendorcheck <word> ...` subcommand contributed by another module (listeners/admin.py:
# add, watch, ...). Called as handler(ack, body, respond); returns False to let the text be
# answered as a question after all (it must not have acked then).
Subcommand = Callable[[Callable, dict, Callable], bool]


class VendorcheckBot:
    def __init__(self, settings: SlackSettings, asker: Asker, store: FeedbackStore) -> None:
        self.settings = settings
        self.asker = asker  # swapped whole when a new index generation is served
        self.store = store
        # deliveries taken, on disk beside the answers: a retry after a restart is dropped
        self.seen = DeliveryLog(store.path.parent, settings.dedupe_ttl)
        self.limiter = RateLimiter(settings.rate_limit, settings.rate_window)
        self.service = AnswerService(
            settings.answer_workers, settings.max_pending, settings.answer_timeout
        )
        self.subcommands: dict[str, Subcommand] = {}
        self.fresh: Any = None  # bot.slack.freshness.Freshness, set by listeners/admin.attach

    def ask(self, query: str) -> Answer:
        """The engine's answer; a VENDORCHECK_MAX_QUERY_CHARS below the engine's own cap cuts
        the question first, with the engine's own cut and note."""
        query, notes = clean_query(query, self.settings.max_query_chars)
        answer = self.asker.ask(query, k=self.settings.max_sources)
        answer.notices = notes + [n for n in answer.notices if n not in notes]
        return answer

    def render(self, answer: Answer, answer_id: str, **options: Any) -> dict:
        per_page = self.settings.sources_per_message
        return render_answer(answer, answer_id=answer_id, per_page=per_page, **options)

    def save(self, answer: Answer) -> str:
        return self.store.save_answer(answer) if answer.results else ""

    def answer(self, query: str, user: str = "", **options: Any) -> dict:
        """Ask, store (for the buttons and `user`'s recent questions on the App Home tab) and
        render: the `compute` of every question."""
        answer = self.ask(query)
        answer_id = self.save(answer)
        self.store.record_question(user, answer.query, answer_id)
        return self.render(answer, answer_id, **options)

    def load(self, state: ButtonState) -> tuple[Answer | None, str]:
        """The answer a button refers to: stored, or re-asked from its question."""
        answer = self.store.load_answer(state.answer_id)
        if answer is not None:
            return answer, state.answer_id
        if not state.query:
            return None, ""
        answer = self.ask(state.query)
        return answer, self.save(answer)

    def page(self, state: ButtonState, **options: Any) -> dict:
        """The page of a stored (or re-asked) answer a button asks for."""
        answer, answer_id = self.load(state)
        if answer is None:
            return render_notice(EXPIRED_TEXT)
        return self.render(answer, answer_id, offset=state.offset, **options)

    def run(self, name: str, compute: Callable[[], dict], deliver: Callable[[dict], Any]) -> None:
        """Queue `compute` -> `deliver`, with "took too long" / error / busy replies. The
        delivery being handled stays pending until a reply went out (a retry after a crash is
        answered); one stopped by shutdown stays pending."""
        timeout = self.settings.answer_timeout
        delivery = current_delivery()
        if delivery is not None:
            delivery.pending()

        def finished() -> None:
            if delivery is not None:
                delivery.done()

        def work(claim: Callable[[], bool]) -> None:
            message = compute()
            if claim():
                deliver(message)
                finished()

        def failed(reason: str) -> None:
            text = {
                "timeout": TIMEOUT_TEXT.format(seconds=timeout),
                "shutdown": BUSY_TEXT,  # stopped before this answer was ready
            }.get(reason, ERROR_TEXT)
            deliver(render_notice(text))
            if reason != "shutdown":
                finished()

        if not self.service.submit(name, work, failed):
            try:
                deliver(render_notice(BUSY_TEXT))
            except Exception:
                log.exception("could not send the busy reply")
