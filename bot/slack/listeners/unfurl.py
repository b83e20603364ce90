"""Link unfurls: an article URL of the corpus posted where the bot is (`link_shared`, for the
domains in the manifest's `unfurl_domains`) is unfurled (`chat.unfurl`) with its title, date,
publisher and the vendors it is about. A URL the corpus does not have, posted by an admin, gets
an "Add to corpus" button; the add runs on the freshness worker (listeners/admin.py's add)."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_sdk import WebClient

from bot.slack.core import VendorcheckBot
from bot.slack.listeners.admin import outcome_line
from bot.slack.mrkdwn import clean, context, escape, link, message, safe_url, section
from bot.slack.render import button
from index.errors import VendorcheckError
from index.search.names import LinkedArticle

log = logging.getLogger("vendorcheck.bot")

ACTION_ADD_ARTICLE = "vc_add_article"
MAX_LINKS = 5  # Slack sends at most a few links per message


def article_unfurl(article: LinkedArticle) -> dict:
    facts = [escape(clean(x)) for x in (article.publisher, article.published) if clean(x)]
    about = ", ".join(escape(clean(v)) for v in article.vendors[:8]) or "no vendor in particular"
    return {
        "blocks": [
            section(f"*{link(article.url, article.title)}*\n{' · '.join(facts) or 'undated'}"),
            context(f":books: In the vendorcheck corpus · about {about}"),
        ]
    }


def unknown_unfurl(url: str) -> dict:
    return {
        "blocks": [
            section(f"Not in the vendorcheck corpus: {escape(url)}"),
            {"type": "actions", "elements": [button("Add to corpus", ACTION_ADD_ARTICLE, url)]},
        ]
    }


def on_link_shared(bot: VendorcheckBot, event: dict, client: WebClient) -> None:
    urls = [u for u in (i.get("url") for i in event.get("links") or []) if safe_url(u or "")]
    admin = (event.get("user") or "") in bot.settings.admins and bot.fresh is not None
    if not urls:
        return
    where = (
        {"unfurl_id": event["unfurl_id"], "source": event.get("source") or "composer"}
        if event.get("unfurl_id") and not event.get("message_ts")
        else {"channel": event.get("channel"), "ts": event.get("message_ts")}
    )

    def compute() -> dict:
        unfurls = {}
        for url in urls[:MAX_LINKS]:
            article = bot.asker.article_at(url)
            if article is not None:
                unfurls[url] = article_unfurl(article)
            elif admin:
                unfurls[url] = unknown_unfurl(url)
        return {"unfurls": unfurls}

    def deliver(result: dict) -> None:
        if result.get("unfurls"):  # not the busy / error notice: an unfurl is not a reply
            client.chat_unfurl(**where, unfurls=result["unfurls"])

    bot.run("unfurl", compute, deliver)


def on_add_article(bot: VendorcheckBot, body: dict, action: dict, client: WebClient) -> None:
    user = (body.get("user") or {}).get("id") or ""
    channel = (body.get("channel") or {}).get("id") or ""
    url = action.get("value") or ""

    def tell(text: str) -> None:
        client.chat_postEphemeral(channel=channel, user=user, **message(text))

    if user not in bot.settings.admins or bot.fresh is None:
        tell("Sorry, only vendorcheck admins can add articles.")
        return

    def work() -> None:
        try:
            text = "\n".join(outcome_line(o) for o in bot.fresh.add([url]).outcomes)
        except VendorcheckError as exc:
            text = f":warning: Nothing was added: {escape(str(exc))}"
        except Exception:
            log.exception("add from an unfurl failed")
            text = ":warning: Nothing was added: something went wrong; see the bot's log."
        tell(text or "Nothing was added.")

    log.info("add from an unfurl by %s", user)
    bot.fresh.submit(work)


def register(app: App, bot: VendorcheckBot) -> None:
    @app.event("link_shared")
    def link_shared(event, client):  # type: ignore[no-untyped-def]
        on_link_shared(bot, event, client)

    @app.action(ACTION_ADD_ARTICLE)
    def add_article(ack, body, action, client):  # type: ignore[no-untyped-def]
        ack()
        on_add_article(bot, body, action, client)
