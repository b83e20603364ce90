"""The shipped app manifest matches what the app handles, with the minimal scopes."""

from __future__ import annotations

import yaml
from conftest import REPO


def test_manifest_declares_command_events_interactivity_and_minimal_scopes():
    manifest = yaml.safe_load((REPO / "slack" / "manifest.yml").read_text())
    commands = manifest["features"]["slash_commands"]
    assert [c["command"] for c in commands] == ["/vendorcheck"]
    assert commands[0]["should_escape"] is False
    settings = manifest["settings"]
    assert sorted(settings["event_subscriptions"]["bot_events"]) == ["app_mention", "message.im"]
    assert settings["interactivity"]["is_enabled"] is True
    assert sorted(manifest["oauth_config"]["scopes"]["bot"]) == [
        "app_mentions:read",
        "chat:write",
        "commands",
        "im:history",
    ]
    for url in (
        commands[0]["url"],
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
    ):
        assert url.endswith("/slack/events")
