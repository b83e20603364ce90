"""The shipped app manifest matches what the app handles: every event, command and shortcut a
listener registers is declared, and the bot scopes are exactly those the listeners and the
Web API calls in bot/ need (from Slack's method and event reference), none more."""

from __future__ import annotations

import re

import yaml
from conftest import REPO

# Slack's reference: the bot scope each Web API method / event / feature needs (None: none).
METHOD_SCOPES = {
    "auth.test": None,
    "chat.postMessage": "chat:write",
    "chat.postEphemeral": "chat:write",
    "chat.unfurl": "links:write",
    "conversations.open": "im:write",
    "files.upload.v2": "files:write",  # files.getUploadURLExternal + completeUploadExternal
    "views.publish": None,
}
EVENT_SCOPES = {
    "app_mention": "app_mentions:read",
    "message.im": "im:history",
    "app_home_opened": None,
    "link_shared": "links:read",
}
COMMAND_SCOPE = "commands"  # slash commands and shortcuts
CALL = re.compile(r"\.(chat|conversations|files|views|users|reactions|apps|team|im)_(\w+)\(")
EVENT = re.compile(r"@app\.event\(\"(\w+)\"\)")
SHORTCUT = re.compile(r"^SHORTCUT_\w+ = \"(\w+)\"", re.M)


def manifest() -> dict:
    return yaml.safe_load((REPO / "slack" / "manifest.yml").read_text())


def bot_sources() -> str:
    return "\n".join(p.read_text(encoding="utf-8") for p in sorted((REPO / "bot").rglob("*.py")))


def web_api_methods(source: str) -> set[str]:
    """`client.chat_postMessage(` -> chat.postMessage (files_upload_v2 -> files.upload.v2)."""
    methods = set()
    for family, name in CALL.findall(source):
        name = name.replace("_v2", ".v2").replace("_", ".") if name.endswith("_v2") else name
        methods.add(f"{family}.{name}")
    return methods


def events(source: str) -> set[str]:
    # a DM reaches the "message" listener as the message.im subscription
    return {"message.im" if e == "message" else e for e in EVENT.findall(source)}


def test_every_listener_is_declared_with_exactly_the_scopes_it_needs():
    source = bot_sources()
    used_methods, used_events = web_api_methods(source) | {"auth.test"}, events(source)
    unknown = (used_methods - METHOD_SCOPES.keys()) | (used_events - EVENT_SCOPES.keys())
    assert not unknown, f"add the scope of {unknown} to this test (Slack's reference)"
    assert {"chat.postMessage", "chat.unfurl", "files.upload.v2", "views.publish"} <= used_methods

    data = manifest()
    assert sorted(data["settings"]["event_subscriptions"]["bot_events"]) == sorted(used_events)
    needed = {METHOD_SCOPES[m] for m in used_methods} | {EVENT_SCOPES[e] for e in used_events}
    needed = (needed - {None}) | {COMMAND_SCOPE}
    assert sorted(data["oauth_config"]["scopes"]["bot"]) == sorted(needed)


def test_manifest_declares_command_shortcut_home_tab_unfurls_and_interactivity():
    data = manifest()
    features, settings = data["features"], data["settings"]
    commands = features["slash_commands"]
    assert [c["command"] for c in commands] == ["/vendorcheck"]
    assert commands[0]["should_escape"] is False
    shortcuts = {s["callback_id"]: s for s in features["shortcuts"]}
    assert set(shortcuts) == set(SHORTCUT.findall(bot_sources())) == {"vc_check_vendors"}
    assert shortcuts["vc_check_vendors"]["type"] == "message"
    assert features["app_home"]["home_tab_enabled"] is True
    assert features["app_home"]["messages_tab_enabled"] is True
    assert features["unfurl_domains"] and len(features["unfurl_domains"]) <= 5
    assert settings["interactivity"]["is_enabled"] is True
    for url in (
        commands[0]["url"],
        settings["event_subscriptions"]["request_url"],
        settings["interactivity"]["request_url"],
    ):
        assert url.endswith("/slack/events")
