"""Evidence export: an answer written down so that an auditor can check it later.

`evidence(answer, asked_at)` is the record: the question, when it was asked, the index
generation and model that answered, the official-list status shown, and every quote with its
source (publisher, title, date, url), its offsets into the article text (`start`, `end`) and the
sha256 of that text as indexed. The quote is exactly `text[start:end]` of the text whose hash is
recorded, so the `.json` form lets anyone holding the article text re-verify it. `.md` is the
same for people, `.csv` one row per quote for spreadsheets. `write_export` picks the form from
the file name; `vendorcheck ask --export` and the bot's Export button use it.
"""

from __future__ import annotations

import csv
import io
import json
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from index.errors import VendorcheckError
from index.search.results import Answer, Result

FORMAT_VERSION = 1
FORMATS = (".md", ".json", ".csv")
CSV_COLUMNS = (
    "question",
    "asked_at",
    "index_generation",
    "model",
    "rank",
    "quote",
    "publisher",
    "title",
    "published",
    "url",
    "article_id",
    "start",
    "end",
    "article_sha256",
    "message",
)


def _quote(result: Result) -> dict:
    a = result.article
    return {
        "rank": result.rank,
        "score": round(float(result.score), 4),
        "quote": result.quote,
        "source": {
            "publisher": a.publisher,
            "title": a.title,
            "published": a.published,
            "url": a.url,
            "article_id": a.id,
        },
        "start": result.start,
        "end": result.end,
        "article_sha256": a.sha256,
    }


def evidence(answer: Answer, asked_at: datetime | None = None) -> dict:
    """The JSON-ready evidence record of `answer` (asked at `asked_at`, default now, UTC)."""
    when = (asked_at or datetime.now(UTC)).astimezone(UTC)
    return {
        "vendorcheck_evidence": FORMAT_VERSION,
        "question": answer.query,
        "asked_at": when.isoformat(timespec="seconds"),
        "index": {
            "generation": answer.index.get("generation", ""),
            "model": answer.index.get("model", ""),
        },
        "message": answer.message,
        "notices": list(answer.notices),
        "status": list(answer.status),
        "quotes": [_quote(r) for r in answer.results],
    }


def to_json(record: dict) -> str:
    return json.dumps(record, ensure_ascii=False, indent=2) + "\n"


def to_csv(record: dict) -> str:
    """One row per quote (one row with the message when there is none)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=CSV_COLUMNS, lineterminator="\n")
    writer.writeheader()
    common = {
        "question": record["question"],
        "asked_at": record["asked_at"],
        "index_generation": record["index"]["generation"],
        "model": record["index"]["model"],
        "message": record["message"],
    }
    for q in record["quotes"]:
        source = q["source"]
        writer.writerow(
            common
            | {k: q[k] for k in ("rank", "quote", "start", "end", "article_sha256")}
            | {k: source[k] for k in ("publisher", "title", "published", "url", "article_id")}
        )
    if not record["quotes"]:
        writer.writerow(common)
    return out.getvalue()


def _status_lines(record: dict) -> list[str]:
    lines = []
    for status in record["status"]:
        lines.append(f"- **{status.get('vendor', '')}**: {status.get('message', '')}")
        for hit in status.get("lists", []):
            since = f" since {hit['since']}" if hit.get("since") else ""
            lines.append(f"  - {hit.get('list_name', '')}{since}: {hit.get('citation', '')}")
    return lines


def to_markdown(record: dict) -> str:
    index = record["index"]
    lines = [
        f"# vendorcheck evidence: {record['question']}",
        "",
        f"- Asked: {record['asked_at']}",
        f"- Index generation: `{index['generation']}`",
        f"- Model: `{index['model']}`",
        f"- Answer: {record['message']}",
    ]
    lines += [f"- Note: {n}" for n in record["notices"]]
    if record["status"]:
        lines += ["", "## Official lists", "", *_status_lines(record)]
    for q in record["quotes"]:
        s = q["source"]
        quote = "\n".join(f"> {line}" for line in q["quote"].splitlines() or [""])
        lines += [
            "",
            f"## {q['rank']}. {s['title']}",
            "",
            quote,
            "",
            "- Source: "
            + ", ".join(
                [s["publisher"] or "unknown publisher", s["published"] or "undated"]
                + ([f"<{s['url']}>"] if s["url"] else [])
            ),
            f"- Article `{s['article_id']}`, characters {q['start']}-{q['end']} of its text",
            f"- sha256 of the article text: `{q['article_sha256']}`",
        ]
    return "\n".join(lines) + "\n"


RENDERERS = {".md": to_markdown, ".json": to_json, ".csv": to_csv}


def export_text(record: dict, suffix: str) -> str:
    renderer = RENDERERS.get(suffix.lower())
    if renderer is None:
        raise VendorcheckError(
            f"cannot export to {suffix or 'a file without extension'}: "
            f"use a file name ending in {', '.join(FORMATS)}"
        )
    return renderer(record)


def write_export(answer: Answer, path: Path, asked_at: datetime | None = None) -> Path:
    """Write the evidence of `answer` to `path` (.md, .json or .csv), all or nothing."""
    path = Path(path)
    text = export_text(evidence(answer, asked_at), path.suffix)
    if not path.parent.is_dir():
        raise VendorcheckError(f"cannot write {path}: {path.parent} is not a directory")
    try:
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    except OSError as exc:
        raise VendorcheckError(f"cannot write {path}: {exc.strerror or exc}") from None
    try:
        with open(fd, "w", encoding="utf-8", newline="") as handle:
            handle.write(text)
        os.replace(tmp, path)
    except OSError as exc:
        Path(tmp).unlink(missing_ok=True)
        raise VendorcheckError(f"cannot write {path}: {exc.strerror or exc}") from None
    return path
