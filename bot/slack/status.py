"""The official-list status block of a Slack answer, shown above the quotes.

One line per list a vendor is on ("*FCC Covered List* since 2021-03-12 · 47 U.S.C. 1601 ·
<link|source>"), or "not on any list we track (as of DATE)". All text comes from the list data
and goes through the one mrkdwn escape.
"""

from __future__ import annotations

from bot.slack.mrkdwn import MAX_SECTION_TEXT, clean, escape, fit, link, section
from index.search.results import Answer


def hit_line(hit: dict) -> str:
    since = f" since {escape(clean(str(hit.get('since') or '')))}" if hit.get("since") else ""
    until = f", until {escape(clean(str(hit['until'])))}" if hit.get("until") else ""
    parts = [f"*{escape(clean(str(hit.get('list_name', ''))))}*{since}{until}"]
    if hit.get("citation"):
        parts.append(escape(clean(str(hit["citation"]))))
    if hit.get("how") == "fuzzy":
        matched = escape(clean(str(hit.get("matched_name", ""))))
        parts.append(f"matched “{matched}” ({round(100 * float(hit.get('confidence', 0)))}%)")
    if hit.get("link"):
        parts.append(link(str(hit["link"]), "source"))
    return " · ".join(parts)


def status_blocks(answer: Answer) -> list[dict]:
    lines = []
    for status in answer.status:
        vendor = escape(clean(str(status.get("vendor", ""))))
        if not status.get("lists"):
            as_of = escape(clean(str(status.get("as_of") or "")))
            lines.append(f":white_check_mark: *{vendor}*: not on any list we track (as of {as_of})")
            continue
        lines.append(f":no_entry: *{vendor}* is on official US lists:")
        lines += [f"• {hit_line(hit)}" for hit in status["lists"][:6]]
    if not lines:
        return []
    return [section(fit("\n".join(lines), MAX_SECTION_TEXT))]
