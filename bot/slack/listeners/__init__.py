"""Bolt listeners, one file per kind of request (the layout of Bolt's starter template).

`register_listeners` wires the request listeners onto an App; listeners/admin.py adds the
admin and watch subcommands to a running bot (it needs the engine config: `attach`).
"""

from __future__ import annotations

from slack_bolt import App

from bot.slack.core import VendorcheckBot
from bot.slack.listeners import actions, commands, conversations


def register_listeners(app: App, bot: VendorcheckBot) -> None:
    commands.register(app, bot)
    conversations.register(app, bot)
    actions.register(app, bot)
