"""The App Home tab: published (`views.publish`) each time a user opens it, from their recent
questions, the watchlists they manage, the index state and, for admins, the syncs
(bot/slack/home.py). Bolt acks the event itself; the view is built on the job queue."""

from __future__ import annotations

import logging

from slack_bolt import App
from slack_sdk import WebClient

from bot.slack.core import VendorcheckBot
from bot.slack.home import home_state, render_home

log = logging.getLogger("vendorcheck.bot")


def on_home_opened(bot: VendorcheckBot, event: dict, client: WebClient) -> None:
    user = event.get("user") or ""
    if event.get("tab") != "home" or not user:
        return  # the Messages tab is the DM: nothing to publish

    def publish(view: dict) -> None:
        if view.get("type") == "home":  # not the "busy" / error notice of core.run
            client.views_publish(user_id=user, view=view)

    bot.run("home", lambda: render_home(home_state(bot, user)), publish)


def register(app: App, bot: VendorcheckBot) -> None:
    @app.event("app_home_opened")
    def home_opened(event, client):  # type: ignore[no-untyped-def]
        on_home_opened(bot, event, client)
