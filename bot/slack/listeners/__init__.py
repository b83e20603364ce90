"""Bolt listeners, one file per kind of request (the layout of Bolt's starter template).

`register_listeners` wires the request listeners onto an App; listeners/admin.py adds the
admin and watch subcommands to a running bot (it needs the engine config: `attach`).
"""

from __future__ import annotations

from slack_bolt import App

from bot.slack.core import VendorcheckBot
from bot.slack.listeners import (
    actions,
    app_home,
    commands,
    conversations,
    export,
    shortcut,
    unfurl,
)


def register_listeners(app: App, bot: VendorcheckBot) -> None:
    # Before the catch-alls of conversations (any event) and actions (any action).
    shortcut.register(app, bot)
    export.register(app, bot)
    app_home.register(app, bot)
    unfurl.register(app, bot)
    commands.register(app, bot)
    conversations.register(app, bot)
    actions.register(app, bot)
