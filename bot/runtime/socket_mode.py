"""Socket Mode: the bot dials out to Slack (no public URL), with Bolt's built-in handler."""

from __future__ import annotations

import threading

from bot.runtime.lifecycle import ServedBot, drain, on_stop_signal, say


def build_socket_handler(bot: ServedBot):  # type: ignore[no-untyped-def]
    """Bolt's built-in Socket Mode handler (no extra dependency); its Web API calls, including
    apps.connections.open, go to SLACK_API_URL through the app's client."""
    from slack_bolt.adapter.socket_mode import SocketModeHandler

    return SocketModeHandler(bot.app, bot.settings.app_token)


def run_socket(bot: ServedBot) -> int:
    handler = build_socket_handler(bot)
    stop = threading.Event()
    if not on_stop_signal(stop.set):
        raise RuntimeError("Socket Mode serving stops on SIGTERM: run it in the main thread")
    handler.connect()
    say("Socket Mode started (the bot connects out to Slack; no public URL needed)")
    stop.wait()
    say("stopping (finishing answers in flight)")
    handler.close()
    return drain(bot, "some answers were cut")
