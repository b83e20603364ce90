"""Render an Answer as a Slack Block Kit message. The only Slack-specific part of an answer.

All corpus and user text goes through bot/slack/mrkdwn.py (escape, link, fit); every block
stays within Slack's limits whatever the article length.
"""

from __future__ import annotations

import json
from dataclasses import dataclass

from bot.slack.mrkdwn import (
    MAX_FALLBACK_TEXT,
    MAX_SECTION_TEXT,
    clean,
    context,
    escape,
    escape_cut,
    fit,
    link,
    mention,
    message,
    section,
)
from bot.slack.status import status_blocks
from index.search.results import Answer, Result

# Slack limits (https://api.slack.com/reference/block-kit/blocks); text limits: mrkdwn.py.
MAX_BLOCKS = 50
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
QUOTE_BUDGET = 2200  # escaped characters of quote per source; the rest is title/link/publisher
MAX_SOURCES_PER_MESSAGE = 14  # 3 blocks per source + heading, notes, summary, actions <= 50

ACTION_SHARE = "vc_share"
ACTION_DISMISS = "vc_dismiss"
ACTION_MORE = "vc_more"
ACTION_HELPFUL = "vc_helpful"
ACTION_UNHELPFUL = "vc_unhelpful"
ACTION_EXPORT = "vc_export"  # evidence export to the user's DM (listeners/export.py)
ACTION_OPEN = "vc_open"  # the full answer to a question (shortcut reply, App Home)
ACTION_IDS = (
    ACTION_SHARE,
    ACTION_DISMISS,
    ACTION_MORE,
    ACTION_HELPFUL,
    ACTION_UNHELPFUL,
    ACTION_EXPORT,
    ACTION_OPEN,
)

USAGE_LINES = (
    "*How to use vendorcheck*",
    "• `/vendorcheck kaspersky`: a brief on a vendor from the corpus",
    "• `/vendorcheck is Kaspersky allowed on GSA?`: quoted, sourced answer to a question",
    "• `/vendorcheck huawei since:2024 publisher:Reuters`: only sources of that publisher and "
    "date range (`until:2024-06`, `vendor:zte` too)",
    "• `@vendorcheck &lt;question&gt;` in a channel: answer in a thread (follow-up mentions too)",
    "• a direct message to the bot: answer in the DM",
    "• `/vendorcheck watch kaspersky`: post new articles about a vendor in this channel "
    "(`unwatch kaspersky`, `watching`)",
    "• `/vendorcheck add &lt;url&gt;` (admins): add a web article to the corpus",
    "Answers quote the corpus verbatim with publisher, date and link; when the corpus has "
    "nothing on a question, vendorcheck says so.",
)


def quote_mrkdwn(quote: str, spans: list[tuple[int, int]], budget: int = QUOTE_BUDGET) -> str:
    """The quote as one mrkdwn block-quote line with its key sentence(s) in bold."""
    segments: list[tuple[str, bool]] = []
    cursor = 0
    for start, end in sorted(spans):
        if start < cursor or end > len(quote) or start >= end:
            continue
        segments += [(quote[cursor:start], False), (quote[start:end], True)]
        cursor = end
    segments.append((quote[cursor:], False))

    out: list[str] = []
    used = 2  # "> "
    for raw, bold in segments:
        text = clean(raw)
        if not text:
            if raw.strip() == "" and raw and out and not out[-1].endswith(" "):
                out.append(" ")
                used += 1
            continue
        lead = " " if raw[:1].isspace() and out and not out[-1].endswith(" ") else ""
        trail = " " if raw[-1:].isspace() else ""
        marker = 2 if bold else 0
        piece, cut = escape_cut(text, budget - used - len(lead) - marker - 1)
        if bold and piece:
            piece = f"*{piece}*"
        out.append(lead + piece + ("…" if cut else trail))
        used += len(out[-1])
        if cut:
            break
    return "> " + "".join(out).strip()


@dataclass(frozen=True)
class ButtonState:
    """What a button needs to act after a restart: the stored answer's id, the question and the
    page offset. Kept compact: it travels in the button's `value` (max 2000 chars)."""

    answer_id: str
    query: str
    offset: int = 0

    def encode(self) -> str:
        query = self.query
        while True:
            value = json.dumps(
                {"a": self.answer_id, "o": self.offset, "q": query},
                ensure_ascii=False,
                separators=(",", ":"),
            )
            if len(value) <= MAX_BUTTON_VALUE:
                return value
            query = query[: max(0, len(query) - (len(value) - MAX_BUTTON_VALUE) - 8)]

    @classmethod
    def decode(cls, value: str) -> ButtonState:
        """Parse a button value; a malformed one gives an empty state (never an exception)."""
        try:
            data = json.loads(value or "{}")
            return cls(str(data.get("a", ""))[:64], str(data.get("q", "")), int(data.get("o", 0)))
        except (ValueError, TypeError, AttributeError):
            return cls("", "", 0)


def button(text: str, action_id: str, value: str, style: str | None = None) -> dict:
    button = {
        "type": "button",
        "text": {"type": "plain_text", "text": clean(text)[:MAX_BUTTON_TEXT], "emoji": True},
        "action_id": action_id,
        "value": value[:MAX_BUTTON_VALUE],
    }
    if style:
        button["style"] = style
    return button


def source_text(result: Result) -> str:
    a = result.article
    title = link(a.url, a.title or a.id)
    details = " · ".join(escape(clean(p)[:100]) for p in (a.publisher, a.published) if clean(p))
    return f"{title}\n{details or 'undated'}"


def _extras(result: Result) -> list[str]:
    lines = []
    if result.also_in:
        others = ", ".join(
            link(o.url, f"{o.publisher or o.title} {o.published}".strip())
            for o in result.also_in[:5]
        )
        lines.append(f"Also reported by {others}")
    if result.superseded_by is not None:
        newer = result.superseded_by
        lines.append(f"Newer source: {link(newer.url, newer.title)} ({escape(newer.published)})")
    return lines


def _heading(answer: Answer) -> str:
    query, _ = escape_cut(clean(answer.query), 600)
    if answer.kind == "brief":
        vendors = ", ".join(clean(v) for v in answer.vendors) or clean(answer.query)
        name, _ = escape_cut(vendors, 600)
        return f"*Vendor brief: {name}*"
    return f"*{query}*" if query else "*vendorcheck*"


def render_usage(note: str = "") -> dict:
    lines = list(USAGE_LINES)
    if note:
        lines.insert(0, escape(note))
    text = "\n".join(lines)
    return {"text": "How to use vendorcheck", "blocks": [section(text)]}


def render_notice(text: str) -> dict:
    """A one-line message (rate limit, timeout, busy, error): never empty, always escaped."""
    body, _ = escape_cut(clean(text) or "Something went wrong.", MAX_SECTION_TEXT - 10)
    return message(body)


def _feedback_buttons(state: str) -> list[dict]:
    return [
        button(":+1: Helpful", ACTION_HELPFUL, state),
        button(":-1: Not helpful", ACTION_UNHELPFUL, state),
    ]


def _render_nothing(answer: Answer, answer_id: str, blocks: list[dict]) -> dict:
    """The abstention: what the corpus lacks, still with feedback buttons."""
    text = clean(answer.message) or f"Nothing in the corpus about {clean(answer.query)}."
    body, _ = escape_cut(text, MAX_SECTION_TEXT - 20)
    blocks.append(section(f":mag: {body}"))
    if answer.query:  # "the corpus should know this" is feedback worth having too
        state = ButtonState(answer_id, clean(answer.query), 0).encode()
        blocks.append({"type": "actions", "elements": _feedback_buttons(state)})
    fallback = f"{clean(answer.query)[:200]}: {text[:500]}"
    return {"text": fit(escape(fallback), MAX_FALLBACK_TEXT), "blocks": blocks}


def _page_buttons(
    answer: Answer, answer_id: str, offset: int, shown: int, ephemeral: bool
) -> list[dict]:
    """More sources (while there are more), Share / Keep (ephemeral), Export evidence,
    Helpful / Not helpful."""
    state = ButtonState(answer_id, clean(answer.query), offset)
    buttons: list[dict] = []
    remaining = len(answer.results) - offset - shown
    if remaining > 0:
        more = ButtonState(answer_id, state.query, offset + shown)
        buttons.append(button(f"More sources ({remaining})", ACTION_MORE, more.encode()))
    if ephemeral:
        buttons.append(button("Share in channel", ACTION_SHARE, state.encode(), "primary"))
        buttons.append(button("Keep to myself", ACTION_DISMISS, state.encode()))
    buttons.append(button("Export evidence", ACTION_EXPORT, state.encode()))
    buttons += _feedback_buttons(ButtonState(answer_id, state.query, offset + shown).encode())
    return buttons


def _source_blocks(result: Result, total: int) -> list[dict]:
    quote = quote_mrkdwn(result.quote, result.highlights)
    details = f"Match score {result.score:.2f} · #{result.rank} of {total}"
    return [
        {"type": "divider"},
        section(f"{quote}\n{source_text(result)}"),
        context(details, *_extras(result)),
    ]


def render_answer(
    answer: Answer,
    *,
    answer_id: str = "",
    offset: int = 0,
    per_page: int = 3,
    ephemeral: bool = False,
    shared_by: str | None = None,
) -> dict:
    """`{"text": fallback, "blocks": [...]}` for one page of an answer (sources offset.. offset+per_page).

    `ephemeral` adds "Share in channel" / "Keep to myself"; every answer with sources gets
    feedback buttons, and "More sources" while there are more.
    """
    if answer.kind == "usage":
        return render_usage()
    blocks: list[dict] = [section(_heading(answer))]
    if shared_by is not None:
        blocks.append(context(f"Shared by {mention(shared_by)}"))
    notes = [f":warning: {escape(clean(n))}" for n in answer.notices[:3] if clean(n)]
    if notes:
        blocks.append(context(*notes))
    blocks += status_blocks(answer)
    if not answer.results:
        return _render_nothing(answer, answer_id, blocks)

    total = len(answer.results)
    offset = max(0, min(offset, total - 1))
    per_page = max(1, min(per_page, MAX_SOURCES_PER_MESSAGE))  # 3 blocks each, within 50
    page = answer.results[offset : offset + per_page]
    summary = clean(answer.message)
    if offset:
        summary = f"Results {offset + 1}-{offset + len(page)} of {total}."
    if summary:
        blocks.append(context(escape(summary)))
    for result in page:
        blocks += _source_blocks(result, total)
    buttons = _page_buttons(answer, answer_id, offset, len(page), ephemeral)
    blocks += [{"type": "divider"}, {"type": "actions", "elements": buttons}]

    first = page[0]
    fallback = (
        f"{clean(answer.query)[:200]}: “{clean(first.quote)[:300]}” "
        f"({clean(first.article.publisher)[:80]}, {clean(first.article.published)})"
    )
    return {"text": fit(escape(fallback), MAX_FALLBACK_TEXT), "blocks": blocks[:MAX_BLOCKS]}
