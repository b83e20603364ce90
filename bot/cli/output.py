"""Everything the CLI prints: answers, build and refresh reports, feedback records.

Corpus text is stripped of control characters first, so an article cannot move the cursor,
recolour or retitle the user's terminal."""

from __future__ import annotations

import re
import sys
import textwrap
from typing import TYPE_CHECKING, TextIO

from index import Answer, Result

if TYPE_CHECKING:  # ingestion pulls fetching and feed libraries: not for `vendorcheck ask`
    from index import Outcome, RefreshReport

# C0/C1 controls (newline aside), bidi overrides, and lone surrogates (which `print` cannot
# even encode: a .jsonl article or YAML front matter can carry a "\udcff" escape).
_TERMINAL_UNSAFE = re.compile(
    r"[\x00-\x08\x0b-\x1f\x7f-\x9f\u202a-\u202e\u2066-\u2069\ud800-\udfff]"
)
BOLD, RESET = "\033[1m", "\033[0m"


def safe(text: str) -> str:
    return _TERMINAL_UNSAFE.sub("", text.replace("\t", " "))


def mark(quote: str, spans: list[tuple[int, int]], use_ansi: bool) -> str:
    """The quote with its key sentence(s) in bold (ANSI on a terminal, **...** otherwise)."""
    on, off = (BOLD, RESET) if use_ansi else ("**", "**")
    out, cursor = [], 0
    for start, end in sorted(spans):
        if start < cursor or end <= start or end > len(quote):
            continue
        out += [safe(quote[cursor:start]), on, safe(quote[start:end]), off]
        cursor = end
    out.append(safe(quote[cursor:]))
    return "".join(out)


def source_line(result: Result) -> str:
    a = result.article
    parts = [a.publisher or "unknown publisher", a.published or "undated"]
    return " · ".join(safe(p) for p in parts) + f" — {safe(a.title)}"


def status_lines(answer: Answer) -> list[str]:
    """The official-list status above the quotes: each list, since when, rule, link."""
    lines = []
    for status in answer.status:
        vendor = safe(str(status.get("vendor", "")))
        if not status.get("lists"):
            lines.append(f"Lists: {vendor}: not on any list we track (as of {status.get('as_of')})")
            continue
        lines.append(f"Lists: {vendor} is on official US lists (as of {status.get('as_of')}):")
        for hit in status["lists"]:
            since = safe(str(hit.get("since") or "undated"))
            matched = ""
            if hit.get("how") == "fuzzy":
                matched = f" [matched {safe(str(hit.get('matched_name')))!r}, {hit.get('confidence', 0):.0%}]"
            lines.append(f"  {since}  {safe(str(hit.get('list_name')))}{matched}")
            detail = " · ".join(safe(str(hit[k])) for k in ("citation", "link") if hit.get(k))
            if detail:
                lines.append(f"              {detail}")
    return lines


def render_answer(answer: Answer, use_ansi: bool = False, width: int = 100) -> str:
    lines: list[str] = []
    if answer.query:
        lines.append(f"Q: {safe(answer.query)}")
    lines += status_lines(answer)
    for notice in answer.notices:
        lines.append(f"Note: {safe(notice)}")
    if not answer.results:
        lines.append(safe(answer.message))
        return "\n".join(lines)
    if answer.message:
        lines.append(safe(answer.message))
    for result in answer.results:
        lines.append("")
        quote = mark(result.quote, result.highlights, use_ansi)
        # A brief is a timeline: each entry leads with its date.
        when = f"{safe(result.article.published or 'undated')} " if answer.kind == "brief" else ""
        wrapped = textwrap.fill(
            " ".join(quote.split()),
            width=width,
            initial_indent=f"{result.rank}. {when}“",
            subsequent_indent="   ",
            break_long_words=False,  # never split a word, or the ANSI bold codes glued to it
        )
        lines.append(wrapped + "”")
        lines.append(f"   {source_line(result)}")
        if result.article.url:
            lines.append(f"   {safe(result.article.url)}")
        for other in result.also_in:
            lines.append(
                f"   also: {safe(other.publisher or '?')} {safe(other.published or 'undated')} "
                f"{safe(other.url)}"
            )
        if result.superseded_by is not None:
            newer = result.superseded_by
            lines.append(
                f"   newer source: {safe(newer.title)} ({safe(newer.publisher or '?')}, "
                f"{safe(newer.published)})"
            )
        lines.append(
            f"   score {result.score:.2f} · chars {result.start}-{result.end} of {safe(result.article.id)}"
        )
    return "\n".join(lines)


def print_build_report(report, stream=sys.stdout) -> None:  # type: ignore[no-untyped-def]
    """What a build did: one line per kind of change, skipped files with reasons, totals."""

    def listing(label: str, ids: list[str]) -> None:
        if ids:
            shown = ", ".join(ids[:10]) + (f" (+{len(ids) - 10} more)" if len(ids) > 10 else "")
            print(f"  {label:<8} {len(ids):>5}  {shown}", file=stream)

    print(f"Index {report.generation or '(none)'}", file=stream)
    listing("added", report.added)
    listing("changed", report.changed)
    listing("removed", report.removed)
    print(f"  {'unchanged':<8} {report.unchanged:>4}", file=stream)
    for source, reason in report.skipped:
        print(f"  skipped  {source}: {reason}", file=stream)
    for note in getattr(report, "notes", []):
        print(f"  note     {note}", file=stream)
    verdict = (
        "up to date, nothing embedded"
        if not report.wrote_new_generation
        else (f"embedded {report.embedded_passages} passages")
    )
    print(
        f"  {report.articles} articles, {report.passages} passages; {verdict}; "
        f"{report.seconds:.1f} s",
        file=stream,
    )


def print_feedback(records: list[dict], stream: TextIO | None = None) -> None:
    """`vendorcheck feedback`: one line per vote, the results the voter saw under it, totals."""
    stream = stream or sys.stdout
    if not records:
        print("No feedback yet.", file=stream)
        return
    helpful = sum(1 for r in records if r["verdict"] == "helpful")
    for r in records:
        mark = "+" if r["verdict"] == "helpful" else "-"
        print(
            f"{r['created']}  {mark} {r['verdict']:<11} {r['user_id']:<12} {r['query']!r}",
            file=stream,
        )
        for shown in r["results"]:
            print(
                f"      {shown['rank']}. {shown['title']} ({shown['article_id']}, {shown['score']})",
                file=stream,
            )
    print(
        f"{len(records)} records: {helpful} helpful, {len(records) - helpful} not helpful",
        file=stream,
    )


def describe(outcome: Outcome) -> str:
    """One or two lines about one URL: what happened and, when saved, what was extracted."""
    if outcome.status in ("failed", "filtered", "exists"):
        # fetch errors already name the URL they are about (a redirect's target, maybe)
        about = "" if outcome.message.startswith(("http://", "https://")) else f"{outcome.url}: "
        return f"{outcome.status:<9} {about}{outcome.message}"
    line = f"{outcome.status:<9} {outcome.url}"
    article = outcome.article
    if article is not None:
        facts = ", ".join(
            p
            for p in (
                article.publisher,
                article.published_iso or "no date",
                f"{outcome.passages} passage{'s' if outcome.passages != 1 else ''}",
            )
            if p
        )
        line += f"\n          {article.title!r} ({facts}) -> {article.source}"
    return line


def print_refresh(report: RefreshReport, stream: TextIO | None = None) -> None:
    """`vendorcheck sync`: one line per feed, then one or two per URL."""
    stream = stream or sys.stdout
    for feed in report.feeds:
        if feed.error:
            print(f"feed      {feed.label}: {feed.error}", file=stream)
        elif feed.not_modified:
            print(f"feed      {feed.label}: not modified since the last sync", file=stream)
        else:
            n = feed.new_entries
            print(f"feed      {feed.label}: {n} new entr{'y' if n == 1 else 'ies'}", file=stream)
    for outcome in report.outcomes:
        print(describe(outcome), file=stream)
