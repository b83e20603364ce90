"""The reply to the "Check vendors" message shortcut: one status line per vendor the message
names (official lists, then what the corpus has), each with a button opening the full answer.
Names found nowhere are said plainly. All text through bot/slack/mrkdwn.py."""

from __future__ import annotations

from bot.slack.mrkdwn import clean, context, escape, section
from bot.slack.render import ACTION_OPEN, ButtonState, button
from index.search.names import NameCheck

NO_NAMES = (
    "I found no vendor names in this message. Try `/vendorcheck <vendor>` if one is written "
    "in a way I do not recognise."
)


def _lists(check: NameCheck) -> tuple[str, bool]:
    """The official-list half of the line, and whether a list names it."""
    status = check.status
    if status is None:
        return "list status unavailable", False
    as_of = escape(clean(str(status.get("as_of") or "")))
    lists = sorted({clean(str(h.get("list_name", ""))) for h in status.get("lists", [])})
    if not lists:
        return f"not on any list we track (as of {as_of})", False
    names = ", ".join(escape(n) for n in lists[:4]) + (" …" if len(lists) > 4 else "")
    return f"*on {len(lists)} official list{'s' if len(lists) != 1 else ''}*: {names}", True


def _corpus(check: NameCheck) -> str:
    count = f"{check.articles} article{'s' if check.articles != 1 else ''}"
    if check.about:
        return f"{count} about it in the corpus"
    if check.articles:
        return f"named in {count} of the corpus"
    return "nothing in the corpus"


def status_line(check: NameCheck) -> str:
    lists, listed = _lists(check)
    icon = ":no_entry:" if listed else ":white_check_mark:" if check.status else ":grey_question:"
    name = escape(clean(check.name))
    if not listed and not check.in_corpus and check.status is not None:
        return f":grey_question: *{name}*: not in the corpus and not on any list we track"
    return f"{icon} *{name}*: {lists} · {_corpus(check)}"


def render_checks(checks: list[NameCheck]) -> dict:
    """The ephemeral reply: a heading, then per name its line and a "Full answer" button."""
    if not checks:
        return {"text": NO_NAMES, "blocks": [section(NO_NAMES)]}
    blocks: list[dict] = [section(f"*Vendors in this message* ({len(checks)})")]
    for check in checks:
        block = section(status_line(check))
        state = ButtonState("", clean(check.name)).encode()
        block["accessory"] = button("Full answer", ACTION_OPEN, state)
        blocks.append(block)
    unknown = [c.name for c in checks if not c.in_corpus and not (c.status or {}).get("lists")]
    if unknown:
        said = ", ".join(escape(clean(n)) for n in unknown[:10])
        blocks.append(context(f"Not found in the corpus or on the official lists: {said}."))
    text = "; ".join(clean(c.name) for c in checks)[:500]
    return {"text": f"Vendors in this message: {escape(text)}", "blocks": blocks[:50]}
