"""The App Home tab: per user, their recent questions (each with a button that opens the
answer in the DM), the watchlists of the channels they manage, the index state; for admins
(VENDORCHECK_ADMINS) the last feed and list sync and their errors.

`home_state` gathers it (read-only: the feedback store, the watchlist, the served index, the
list snapshot); `render_home` turns it into a `views.publish` view. All text goes through
bot/slack/mrkdwn.py.
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from datetime import datetime
from typing import Any

from bot.slack.mrkdwn import MAX_SECTION_TEXT, clean, context, escape, fit, section
from bot.slack.render import ACTION_OPEN, ButtonState, button
from index.lists import ListDataError, load_snapshot

MAX_QUESTIONS = 10
MAX_CHANNELS = 10
MAX_VIEW_BLOCKS = 100  # Slack's limit for a Home tab view


@dataclass
class HomeState:
    user: str
    admin: bool = False
    questions: list[dict] = field(default_factory=list)  # query, answer_id, asked
    watches: dict[str, list[str]] = field(default_factory=dict)  # channel -> vendors
    index: dict[str, Any] = field(default_factory=dict)  # articles, passages, generation, ...
    lists: list[tuple[str, str]] = field(default_factory=list)  # (source, retrieved)
    syncs: dict[str, Any] = field(default_factory=dict)  # "feeds"/"lists" -> freshness.SyncRun


def _index_state(asker: Any) -> dict[str, Any]:
    stored = getattr(asker, "index", None)
    if stored is None:
        return {}
    return {
        "generation": stored.generation.name,
        "articles": len(stored.articles),
        "passages": stored.size,
        "updated": stored.manifest.data.get("created") or "",
        "model": stored.manifest.model,
    }


def _list_dates(config: Any) -> list[tuple[str, str]]:
    try:
        snapshot = load_snapshot(config)
    except ListDataError as exc:
        return [("unreadable", str(exc))]
    return [(info.source, str(info.retrieved)[:10]) for info in snapshot.sources.values()]


def home_state(bot: Any, user: str) -> HomeState:
    """What `user`'s Home tab shows. `bot` is a VendorcheckBot; its `fresh` (set by
    listeners/admin.attach) gives the watchlist, the engine config and the sync runs."""
    admin = user in bot.settings.admins
    state = HomeState(user=user, admin=admin, index=_index_state(bot.asker))
    state.questions = bot.store.recent_questions(user, MAX_QUESTIONS)
    fresh = getattr(bot, "fresh", None)
    if fresh is not None:
        watchlist = fresh.watchlist
        if admin:
            state.watches = watchlist.watching()
        else:
            for channel in watchlist.channels_added_by(user):
                state.watches.update(watchlist.watching(channel))
        state.lists = _list_dates(fresh.config)
        if admin:
            state.syncs = dict(fresh.last_runs)
    return state


def _when(moment: datetime) -> str:
    return moment.strftime("%Y-%m-%d %H:%M UTC")


def _question_blocks(state: HomeState) -> list[dict]:
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": "Your recent questions"}}]
    if not state.questions:
        blocks.append(section("None yet. Ask with `/vendorcheck <vendor or question>`."))
    for q in state.questions:
        query = clean(q["query"])
        block = section(fit(f"*{escape(query)}*\n{_when(q['asked'])}", MAX_SECTION_TEXT))
        value = ButtonState(q["answer_id"], query).encode()
        block["accessory"] = button("Open answer", ACTION_OPEN, value)
        blocks.append(block)
    return blocks


_CHANNEL_ID = re.compile(r"^[CGD][A-Z0-9]{2,30}$")


def _channel(channel: str) -> str:
    return f"<#{channel}>" if _CHANNEL_ID.match(channel) else escape(channel)


def _watch_blocks(state: HomeState) -> list[dict]:
    title = "Channel watchlists" if state.admin else "Watchlists you manage"
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": title}}]
    if not state.watches:
        blocks.append(section("No channel watches yet: `/vendorcheck watch <vendor>` in one."))
    lines = [
        f"{_channel(channel)}: " + ", ".join(f"*{escape(v)}*" for v in vendors)
        for channel, vendors in list(state.watches.items())[:MAX_CHANNELS]
    ]
    if lines:
        blocks.append(section(fit("\n".join(lines), MAX_SECTION_TEXT)))
    if len(state.watches) > MAX_CHANNELS:
        blocks.append(context(f"… and {len(state.watches) - MAX_CHANNELS} more channels"))
    return blocks


def _index_blocks(state: HomeState) -> list[dict]:
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": "Index"}}]
    index = state.index
    if index:
        text = (
            f"*{index['articles']}* articles · *{index['passages']}* passages · "
            f"last update {escape(str(index['updated']))}\n"
            f"generation `{escape(index['generation'])}` · model `{escape(index['model'])}`"
        )
        blocks.append(section(text))
    else:
        blocks.append(section("Index state unavailable."))
    if state.lists:
        dates = " · ".join(f"{escape(s)} {escape(d)}" for s, d in state.lists)
        blocks.append(context(f"Official list snapshots: {dates}"))
    return blocks


def _sync_blocks(state: HomeState) -> list[dict]:
    blocks = [{"type": "header", "text": {"type": "plain_text", "text": "Syncs (admins)"}}]
    for kind in ("feeds", "lists"):
        run = state.syncs.get(kind)
        if run is None:
            blocks.append(section(f"*{kind.title()}*: not synced since the bot started."))
            continue
        lines = [f"*{kind.title()}*, last run {_when(run.at)}"]
        lines += [f"• {escape(line)}" for line in run.lines[:10]]
        lines += [f":warning: {escape(error)}" for error in run.errors[:10]]
        blocks.append(section(fit("\n".join(lines), MAX_SECTION_TEXT)))
    return blocks


def render_home(state: HomeState) -> dict:
    blocks = [*_question_blocks(state), {"type": "divider"}, *_watch_blocks(state)]
    blocks += [{"type": "divider"}, *_index_blocks(state)]
    if state.admin:
        blocks += [{"type": "divider"}, *_sync_blocks(state)]
    return {"type": "home", "blocks": blocks[:MAX_VIEW_BLOCKS]}
