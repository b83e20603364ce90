"""Read a corpus directory into `Article`s.

Formats: `.md` with YAML front matter (canonical), `.txt` (first line is the title, optional
`Key: value` header lines or front matter), `.html` (main text and metadata via trafilatura) and
`.jsonl` (one article per line). A file that cannot be read is reported with its reason and
skipped; it never stops the rest of the corpus from loading.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Iterator
from datetime import date, datetime
from pathlib import Path

import frontmatter
import yaml

from index.articles import Article, CorpusLoad
from index.errors import ArticleError

ARTICLE_SUFFIXES = (".md", ".markdown", ".txt", ".html", ".htm", ".jsonl")
# Files in the corpus dir that are configuration, not articles.
NON_ARTICLE_FILES = {"README.md", "vendors.yml", "vendors.yaml", "feeds.yml", "feeds.yaml"}
_TXT_HEADER = re.compile(
    r"^(title|url|publisher|published|date|author|tags|vendors)\s*:\s*(.*)$", re.I
)
_SLUG = re.compile(r"[^a-z0-9]+")


def slugify(text: str, max_len: int = 80) -> str:
    return _SLUG.sub("-", text.lower()).strip("-")[:max_len].strip("-") or "article"


def parse_date(value: object, field_name: str = "published") -> date | None:
    if value in (None, ""):
        return None
    if isinstance(value, datetime):
        return value.date()
    if isinstance(value, date):
        return value
    text = str(value).strip()
    try:
        return date.fromisoformat(text[:10])
    except ValueError:
        raise ArticleError(f"{field_name} {text!r} is not an ISO date (YYYY-MM-DD)") from None


def _as_list(value: object) -> tuple[str, ...]:
    if value in (None, ""):
        return ()
    if isinstance(value, str):
        return tuple(part.strip() for part in value.split(",") if part.strip())
    if isinstance(value, Iterable):
        return tuple(str(v).strip() for v in value if str(v).strip())
    return (str(value),)


def _str(value: object) -> str:
    return "" if value is None else str(value).strip()


def article_from_fields(article_id: str, meta: dict, text: str, source: str) -> Article:
    """Validate metadata + body into an Article; raise ArticleError with a short reason."""
    body = text.strip()
    if not body:
        raise ArticleError("empty body")
    title = _str(meta.get("title"))
    if not title:
        raise ArticleError("no title")
    url = _str(meta.get("url"))
    if url and not re.match(r"^https?://", url, re.I):
        raise ArticleError(f"url {url!r} is not http(s)")
    return Article(
        id=article_id,
        title=title,
        text=body,
        url=url,
        publisher=_str(meta.get("publisher") or meta.get("sitename")),
        published=parse_date(meta.get("published") or meta.get("date")),
        author=_str(meta.get("author")),
        tags=_as_list(meta.get("tags")),
        vendors=_as_list(meta.get("vendors")),
        source=source,
    )


def _read_text(path: Path) -> str:
    try:
        return path.read_bytes().decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ArticleError(f"not valid UTF-8 (byte {exc.start})") from None


def _load_markdown(path: Path, article_id: str, source: str) -> Article:
    raw = _read_text(path)
    try:
        post = frontmatter.loads(raw)
    except yaml.YAMLError as exc:
        first_line = str(exc).splitlines()[0] if str(exc) else "invalid YAML"
        raise ArticleError(f"bad front matter: {first_line}") from None
    if not isinstance(post.metadata, dict):
        raise ArticleError("bad front matter: not a mapping")
    return article_from_fields(article_id, post.metadata, post.content, source)


def _load_txt(path: Path, article_id: str, source: str) -> Article:
    raw = _read_text(path)
    if raw.lstrip().startswith("---"):
        return _load_markdown(path, article_id, source)
    lines = raw.strip().splitlines()
    if not lines:
        raise ArticleError("empty file")
    meta: dict[str, str] = {"title": lines[0].strip().lstrip("# ").strip()}
    body_start = 1
    for i, line in enumerate(lines[1:], start=1):
        match = _TXT_HEADER.match(line.strip())
        if match:
            meta[match.group(1).lower()] = match.group(2).strip()
            body_start = i + 1
        elif line.strip():
            break
    return article_from_fields(article_id, meta, "\n".join(lines[body_start:]), source)


def _load_html(path: Path, article_id: str, source: str) -> Article:
    return article_from_html(_read_text(path), article_id, source)


def article_from_html(html: str, article_id: str, source: str, url: str = "") -> Article:
    import trafilatura  # imported lazily: it is only needed for HTML

    doc = trafilatura.bare_extraction(
        html, url=url or None, with_metadata=True, include_comments=False, favor_precision=True
    )
    if doc is None:
        raise ArticleError("no article text found in the HTML")
    data = doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)
    meta = {
        "title": data.get("title"),
        "url": url or data.get("url") or "",
        "publisher": data.get("sitename") or data.get("hostname"),
        "published": data.get("date"),
        "author": data.get("author"),
        "tags": data.get("tags") or data.get("categories"),
    }
    if meta["url"] and not str(meta["url"]).lower().startswith(("http://", "https://")):
        meta["url"] = ""
    return article_from_fields(article_id, meta, data.get("text") or "", source)


def _load_jsonl(path: Path, source: str) -> tuple[list[Article], list[tuple[str, str]]]:
    articles: list[Article] = []
    skipped: list[tuple[str, str]] = []
    raw = _read_text(path)
    for lineno, line in enumerate(raw.splitlines(), start=1):
        if not line.strip():
            continue
        where = f"{source}:{lineno}"
        try:
            record = json.loads(line)
            if not isinstance(record, dict):
                raise ArticleError("line is not a JSON object")
            article_id = _str(record.get("id")) or f"{path.stem}-{lineno}"
            articles.append(
                article_from_fields(slugify(article_id), record, _str(record.get("text")), where)
            )
        except json.JSONDecodeError as exc:
            skipped.append((where, f"invalid JSON: {exc.msg}"))
        except ArticleError as exc:
            skipped.append((where, str(exc)))
    return articles, skipped


def iter_article_files(corpus_dir: Path) -> Iterator[Path]:
    for path in sorted(corpus_dir.rglob("*")):
        if not path.is_file() or path.name in NON_ARTICLE_FILES or path.name.startswith("."):
            continue
        if any(part.startswith(".") for part in path.relative_to(corpus_dir).parts):
            continue
        if path.suffix.lower() in ARTICLE_SUFFIXES:
            yield path


def article_id_for(path: Path, corpus_dir: Path) -> str:
    rel = path.relative_to(corpus_dir).with_suffix("")
    return "/".join(slugify(part) for part in rel.parts)


def load_article_file(path: Path, corpus_dir: Path) -> list[Article]:
    """Load one file (several articles for .jsonl). Raises ArticleError for a broken file."""
    articles, skipped = _load_file(path, corpus_dir)
    if skipped and not articles:
        raise ArticleError("; ".join(f"{where}: {why}" for where, why in skipped))
    return articles


def _load_file(path: Path, corpus_dir: Path) -> tuple[list[Article], list[tuple[str, str]]]:
    source = str(path.relative_to(corpus_dir))
    suffix = path.suffix.lower()
    if suffix == ".jsonl":
        return _load_jsonl(path, source)
    article_id = article_id_for(path, corpus_dir)
    try:
        if suffix in (".md", ".markdown"):
            return [_load_markdown(path, article_id, source)], []
        if suffix == ".txt":
            return [_load_txt(path, article_id, source)], []
        return [_load_html(path, article_id, source)], []
    except ArticleError as exc:
        return [], [(source, str(exc))]
    except OSError as exc:
        return [], [(source, f"cannot read: {exc.strerror or exc}")]


def load_corpus(corpus_dir: Path) -> CorpusLoad:
    """Every readable article under `corpus_dir`; duplicates ids and broken files are skipped."""
    if not corpus_dir.is_dir():
        raise ArticleError(f"corpus directory {corpus_dir} does not exist")
    result = CorpusLoad()
    seen: dict[str, str] = {}
    for path in iter_article_files(corpus_dir):
        articles, skipped = _load_file(path, corpus_dir)
        result.skipped.extend(skipped)
        for article in articles:
            if article.id in seen:
                result.skipped.append(
                    (
                        article.source,
                        f"duplicate article id {article.id!r} (also {seen[article.id]})",
                    )
                )
                continue
            seen[article.id] = article.source
            result.articles.append(article)
    return result
