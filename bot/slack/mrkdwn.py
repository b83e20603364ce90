"""Slack's text format, both ways: the one escape for text that goes out (answers, alerts,
admin replies: all of it may come from fetched web pages) and the one reader for text that
comes in (slash commands, mentions, DMs).

Going out, every piece of corpus or user text passes `escape` (or `link` / `escape_cut`):
- control and bidi-override characters removed, `&`, `<`, `>` escaped, so an article cannot
  ping `<!channel>`, mention `<@U123>` or forge `<http://evil|a link>`;
- `@channel` / `@here` / `@everyone` broken with an invisible word joiner (defence in depth:
  we never ask Slack to parse names, but a message should stay inert if someone does);
- links are built only from http(s) URLs, with `|`, `<`, `>` and spaces percent-encoded;
- built text is cut to a block's limit with `fit`, which never leaves half an entity or link.
"""

from __future__ import annotations

import html
import re
from typing import Any
from urllib.parse import urlsplit

# Slack limits (https://api.slack.com/reference/block-kit/blocks).
MAX_SECTION_TEXT = 3000
MAX_CONTEXT_TEXT = 3000
MAX_FALLBACK_TEXT = 3000
TITLE_BUDGET = 300
URL_BUDGET = 400

_UNSAFE = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u200e\u200f\u202a-\u202e\u2066-\u2069]")
_BROADCAST = re.compile(r"@(channel|here|everyone)\b", re.IGNORECASE)
_USER_ID = re.compile(r"^[UW][A-Z0-9]{2,30}$")
_PARTIAL_ENTITY = re.compile(r"&[a-z]{0,4}$")

# -- out: plain text -> mrkdwn ----------------------------------------------------------------


def clean(text: str) -> str:
    """Text with control/bidi characters removed and whitespace collapsed; not yet escaped."""
    return " ".join(_UNSAFE.sub(" ", text or "").split())


def escape(text: str) -> str:
    """Escape plain text for mrkdwn: nothing in it can become a mention, a link or a ping."""
    text = _UNSAFE.sub("", text or "")
    text = text.replace("&", "&amp;").replace("<", "&lt;").replace(">", "&gt;")
    return _BROADCAST.sub("@\u2060\\1", text)


def escape_cut(text: str, budget: int) -> tuple[str, bool]:
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
    label_text, _ = escape_cut(clean(label) or url, TITLE_BUDGET)
    target = safe_url(url)
    return f"<{target}|{label_text}>" if target else label_text


def mention(user_id: str | None) -> str:
    """`<@U…>` only for a well-formed Slack user id (never for arbitrary text)."""
    return f"<@{user_id}>" if user_id and _USER_ID.match(user_id) else "someone"


def section(text: str) -> dict[str, Any]:
    """A mrkdwn section block, cut to Slack's limit."""
    return {"type": "section", "text": {"type": "mrkdwn", "text": fit(text, MAX_SECTION_TEXT)}}


def context(*texts: str) -> dict[str, Any]:
    """A context block of up to ten mrkdwn elements, each cut to Slack's limit."""
    return {
        "type": "context",
        "elements": [{"type": "mrkdwn", "text": fit(t, MAX_CONTEXT_TEXT)} for t in texts[:10]],
    }


def message(text: str, *blocks: dict[str, Any]) -> dict[str, Any]:
    """`{"text", "blocks"}` with the built mrkdwn `text` as one section, or `blocks` given."""
    return {"text": fit(text, MAX_FALLBACK_TEXT), "blocks": list(blocks) or [section(text)]}


# -- in: Slack's message format -> plain text --------------------------------------------------

_USER_MENTION = re.compile(r"<@([UW][A-Z0-9]+)(?:\|[^<>]*)?>")
_SPECIAL = re.compile(r"<!([^<>|]*)(?:\|([^<>]*))?>")
_CHANNEL = re.compile(r"<#[CG][A-Z0-9]+(?:\|([^<>]*))?>")
_LINK = re.compile(r"<([^<>|]+)(?:\|([^<>]*))?>")
# Formatting marks around words (*bold*, _italic_, ~strike~, `code`), emoji codes (:warning:)
# and a quote's leading ">": how a message looks, not what it asks ("_China Mobile_" must not
# reach the engine as an unknown "Mobile_").
_EMPHASIS = re.compile(r"(?<![\w*_~`])[*_~`]+(?=[^\s*_~`])|(?<=[^\s*_~`])[*_~`]+(?![\w*_~`])")
_EMOJI = re.compile(r"(?<!\S):[a-z0-9_+'-]+:(?!\S)")
_QUOTE = re.compile(r"^\s*(?:>\s*)+", re.MULTILINE)
_SLACK_URL = re.compile(r"<(https?://[^|>\s]+)(?:\|[^>]*)?>", re.I)
_BARE_URL = re.compile(r"(?<![<|])\bhttps?://[^\s<>|]+", re.I)


def query_from_slack(text: str, bot_user_id: str | None = None) -> str:
    """Plain question text from Slack's message format: user mentions removed, channels and
    links reduced to their labels, `&amp;`/`&lt;`/`&gt;` unescaped, formatting marks, emoji
    codes and quote marks dropped."""
    text = text or ""
    text = _USER_MENTION.sub("", text)  # the bot's own mention, and people: not search terms
    text = _SPECIAL.sub(lambda m: m.group(2) or "", text)
    text = _CHANNEL.sub(lambda m: f"#{m.group(1)}" if m.group(1) else "", text)
    text = _LINK.sub(lambda m: m.group(2) or m.group(1), text)
    text = text.replace("&lt;", "<").replace("&gt;", ">").replace("&amp;", "&")
    text = _EMPHASIS.sub("", _EMOJI.sub(" ", _QUOTE.sub("", text)))
    return " ".join(text.split())


def plain(text: str) -> str:
    """A command argument as typed (Slack sends `&`, `<`, `>` as entities)."""
    return html.unescape(text or "").strip()


def urls_in(text: str) -> list[str]:
    """URLs in a slash command's text: Slack sends them as <url> or <url|label>."""
    found = [html.unescape(m.group(1)) for m in _SLACK_URL.finditer(text)]
    rest = _SLACK_URL.sub(" ", text)
    found += [html.unescape(m.group(0)) for m in _BARE_URL.finditer(rest)]
    return list(dict.fromkeys(found))
