"""Render an Answer as a Slack Block Kit message. The only Slack-specific part of an answer.

Safety rules applied to every piece of corpus or user text:
- control and bidi-override characters removed, `&`, `<`, `>` escaped, so an article cannot
  ping `<!channel>`, mention `<@U123>` or forge `<http://evil|a link>`;
- `@channel` / `@here` / `@everyone` broken with an invisible word joiner (defence in depth:
  we never ask Slack to parse names, but a message should stay inert if someone does);
- links are built only from http(s) URLs, with `|`, `<`, `>` and spaces percent-encoded;
- every block stays within Slack's limits whatever the article length.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from urllib.parse import urlsplit

from index.search.results import Answer, Result

# Slack limits (https://api.slack.com/reference/block-kit/blocks).
MAX_BLOCKS = 50
MAX_SECTION_TEXT = 3000
MAX_CONTEXT_TEXT = 3000
MAX_BUTTON_TEXT = 75
MAX_BUTTON_VALUE = 2000
MAX_FALLBACK_TEXT = 3000
QUOTE_BUDGET = 2200  # escaped characters of quote per source; the rest is title/link/publisher
TITLE_BUDGET = 300
URL_BUDGET = 400
MAX_SOURCES_PER_MESSAGE = 14  # 3 blocks per source + heading, notes, summary, actions <= 50

ACTION_SHARE = "vc_share"
ACTION_DISMISS = "vc_dismiss"
ACTION_MORE = "vc_more"
ACTION_HELPFUL = "vc_helpful"
ACTION_UNHELPFUL = "vc_unhelpful"
ACTION_IDS = (ACTION_SHARE, ACTION_DISMISS, ACTION_MORE, ACTION_HELPFUL, ACTION_UNHELPFUL)

USAGE_LINES = (
    "*How to use vendorcheck*",
    "• `/vendorcheck kaspersky`: a brief on a vendor from the corpus",
    "• `/vendorcheck is Kaspersky allowed on GSA?`: quoted, sourced answer to a question",
    "• `@vendorcheck &lt;question&gt;` in a channel: answer in a thread (follow-up mentions too)",
    "• a direct message to the bot: answer in the DM",
    "• `/vendorcheck watch kaspersky`: post new articles about a vendor in this channel "
    "(`unwatch kaspersky`, `watching`)",
    "• `/vendorcheck add &lt;url&gt;` (admins): add a web article to the corpus",
    "Answers quote the corpus verbatim with publisher, date and link; when the corpus has "
    "nothing on a question, vendorcheck says so.",
)

_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,30}$")


def clean(text: str) -> str:
    """Text with control/bidi characters removed and whitespace collapsed; not yet escaped."""
    return " ".join(_UNSAFE.sub(" ", text or "").split())


def escape(text: str) -> str:
    """Escape plain text for mrkdwn: nothing in it can become a mention, a link or a ping."""
    text = _UNSAFE.sub("", text or "")
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub("@\u2060\\1", text)


def _escape_cut(text: str, budget: int) -> tuple[str, bool]:
    """Escape `text`, keeping at most `budget` escaped characters (cut before, never inside, an
    entity). Returns (escaped, was_cut)."""
    whole = escape(text)
    if len(whole) <= budget:
        return whole, False
    low, high = 0, min(len(text), max(budget, 0))
    while low < high:  # the longest prefix whose escaped form fits
        mid = (low + high + 1) // 2
        if len(escape(text[:mid])) <= budget:
            low = mid
        else:
            high = mid - 1
    return escape(text[:low]), True


_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,4}$")


def fit(mrkdwn: str, limit: int) -> str:
    """Cut already-built mrkdwn to `limit` characters without leaving half an entity
    (`&am`) or an unclosed `<link|...` behind: both would break the escaping guarantees."""
    if len(mrkdwn) <= limit:
        return mrkdwn
    cut = _PARTIAL_ENTITY.sub("", mrkdwn[:limit])
    opened, closed = cut.rfind("<"), cut.rfind(">")
    if opened > closed:
        cut = cut[:opened]
    return cut


def safe_url(url: str) -> str | None:
    """The URL ready to go between `<` and `|`, or None when it is not a plain http(s) URL."""
    url = (url or "").strip()
    if not url or _UNSAFE.search(url):
        return None
    try:
        parts = urlsplit(url)
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    encoded = url.replace("|", "%7C").replace("<", "%3C").replace(">", "%3E").replace(" ", "%20")
    encoded = encoded.replace("&", "&amp;")
    return encoded if len(encoded) <= URL_BUDGET else None


def link(url: str, label: str) -> str:
    """`<url|label>` for an http(s) URL, otherwise just the escaped label."""
    label_text, _ = _escape_cut(clean(label) or url, TITLE_BUDGET)
    target = safe_url(url)
    return f"<{target}|{label_text}>" if target else label_text


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
        piece, cut = _escape_cut(text, budget - used - len(lead) - marker - 1)
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


def _button(text: str, action_id: str, value: str, style: str | None = None) -> dict:
    button = {
        "type": "button",
        "text": {"type": "plain_text", "text": clean(text)[:MAX_BUTTON_TEXT], "emoji": True},
        "action_id": action_id,
        "value": value[:MAX_BUTTON_VALUE],
    }
    if style:
        button["style"] = style
    return button


def _section(text: str) -> dict:
    return {"type": "section", "text": {"type": "mrkdwn", "text": fit(text, MAX_SECTION_TEXT)}}


def _context(*texts: str) -> dict:
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": fit(t, MAX_CONTEXT_TEXT)} for t in texts[:10]],
    }


def mention(user_id: str | None) -> str:
    """`<@U…>` only for a well-formed Slack user id (never for arbitrary text)."""
    return f"<@{user_id}>" if user_id and _USER_ID.match(user_id) else "someone"


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
    query, _ = _escape_cut(clean(answer.query), 600)
    if answer.kind == "brief":
        vendors = ", ".join(clean(v) for v in answer.vendors) or clean(answer.query)
        name, _ = _escape_cut(vendors, 600)
        return f"*Vendor brief: {name}*"
    return f"*{query}*" if query else "*vendorcheck*"


def render_usage(note: str = "") -> dict:
    lines = list(USAGE_LINES)
    if note:
        lines.insert(0, escape(note))
    text = "\n".join(lines)
    return {"text": "How to use vendorcheck", "blocks": [_section(text)]}


def render_notice(text: str) -> dict:
    """A one-line message (rate limit, timeout, busy, error): never empty, always escaped."""
    body, _ = _escape_cut(clean(text) or "Something went wrong.", MAX_SECTION_TEXT - 10)
    return {"text": fit(body, MAX_FALLBACK_TEXT), "blocks": [_section(body)]}


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
    heading = _heading(answer)
    blocks: list[dict] = [_section(heading)]
    if shared_by is not None:
        blocks.append(_context(f"Shared by {mention(shared_by)}"))
    notes = [f":warning: {escape(clean(n))}" for n in answer.notices[:3] if clean(n)]
    if notes:
        blocks.append(_context(*notes))

    if not answer.results:
        message = clean(answer.message) or f"Nothing in the corpus about {clean(answer.query)}."
        body, _ = _escape_cut(message, MAX_SECTION_TEXT - 20)
        blocks.append(_section(f":mag: {body}"))
        if answer.query:  # "the corpus should know this" is feedback worth having too
            state = ButtonState(answer_id, clean(answer.query), 0).encode()
            blocks.append(
                {
                    "type": "actions",
                    "elements": [
                        _button(":+1: Helpful", ACTION_HELPFUL, state),
                        _button(":-1: Not helpful", ACTION_UNHELPFUL, state),
                    ],
                }
            )
        fallback = f"{clean(answer.query)[:200]}: {message[:500]}"
        return {"text": fit(escape(fallback), MAX_FALLBACK_TEXT), "blocks": blocks}

    total = len(answer.results)
    offset = max(0, min(offset, total - 1))
    per_page = max(1, min(per_page, MAX_SOURCES_PER_MESSAGE))  # 3 blocks each, within 50
    page = answer.results[offset : offset + per_page]
    summary = clean(answer.message)
    if offset:
        summary = f"Results {offset + 1}-{offset + len(page)} of {total}."
    if summary:
        blocks.append(_context(escape(summary)))
    for result in page:
        blocks.append({"type": "divider"})
        quote = quote_mrkdwn(result.quote, result.highlights)
        blocks.append(_section(f"{quote}\n{source_text(result)}"))
        details = [f"Match score {result.score:.2f} · #{result.rank} of {total}"]
        blocks.append(_context(*details, *_extras(result)))

    state = ButtonState(answer_id, clean(answer.query), offset)
    buttons: list[dict] = []
    remaining = total - offset - len(page)
    if remaining > 0:
        more = ButtonState(answer_id, state.query, offset + len(page))
        buttons.append(_button(f"More sources ({remaining})", ACTION_MORE, more.encode()))
    if ephemeral:
        buttons.append(_button("Share in channel", ACTION_SHARE, state.encode(), "primary"))
        buttons.append(_button("Keep to myself", ACTION_DISMISS, state.encode()))
    shown = ButtonState(answer_id, state.query, offset + len(page)).encode()
    buttons.append(_button(":+1: Helpful", ACTION_HELPFUL, shown))
    buttons.append(_button(":-1: Not helpful", ACTION_UNHELPFUL, shown))
    blocks.append({"type": "divider"})
    blocks.append({"type": "actions", "elements": buttons})
    blocks = blocks[:MAX_BLOCKS]

    first = page[0]
    fallback = (
        f"{clean(answer.query)[:200]}: “{clean(first.quote)[:300]}” "
        f"({clean(first.article.publisher)[:80]}, {clean(first.article.published)})"
    )
    return {"text": fit(escape(fallback), MAX_FALLBACK_TEXT), "blocks": blocks}
