"""Fetched page -> Article: main text and metadata via trafilatura, saved as Markdown.

The text is plain (no Markdown syntax) with one blank line between paragraphs, so quotes stay
clean and the chunker sees the page's paragraph structure.
"""

from __future__ import annotations

from collections.abc import Mapping
from datetime import UTC, date, datetime
from urllib.parse import urlsplit

import yaml

from index.articles import Article
from index.errors import ArticleError, VendorcheckError
from index.ingest.fetch import Page
from index.ingest.loaders import article_from_fields, parse_date
from index.text.urls import normalize_url

MIN_WORDS = 25  # fewer words than this is a stub, a login wall or an index page, not an article


class NotHtmlError(VendorcheckError):
    pass


class NoTextError(VendorcheckError):
    pass


def _host(url: str) -> str:
    host = (urlsplit(url).hostname or "").lower()
    return host.removeprefix("www.")


def _fallback_title(text: str) -> str:
    first = text.strip().splitlines()[0].strip()
    if len(first) <= 100:
        return first
    return first[:100].rsplit(" ", 1)[0] + "…"


def extract_article(page: Page, hints: Mapping[str, object] | None = None) -> Article:
    """Main text + metadata of an HTML page. `hints` (e.g. from a feed entry) fill gaps.

    Raises NotHtmlError or NoTextError with a one-line message; the Article's id is empty
    (it is given one when saved).
    """
    hints = hints or {}
    if not page.is_html:
        shown = page.content_type or "unknown content type"
        raise NotHtmlError(
            f"{page.url}: not an HTML page ({shown}); only web articles can be added"
        )
    import trafilatura  # lazily: only needed when fetching

    doc = trafilatura.bare_extraction(
        page.body,
        url=page.url,
        with_metadata=True,
        include_comments=False,
        include_tables=False,
        favor_precision=True,
    )
    data = (doc.as_dict() if hasattr(doc, "as_dict") else dict(doc)) if doc is not None else {}
    raw_text = str(data.get("text") or "")
    paragraphs = [" ".join(line.split()) for line in raw_text.splitlines()]
    paragraphs = [p for p in paragraphs if p]
    title = str(data.get("title") or hints.get("title") or "")
    if paragraphs and title and paragraphs[0].casefold() == " ".join(title.split()).casefold():
        paragraphs = paragraphs[1:]  # the page's own headline, already the article title
    text = "\n\n".join(paragraphs)
    if len(text.split()) < MIN_WORDS:
        raise NoTextError(f"{page.url}: no article text could be extracted from the page")
    url = normalize_url(page.url)
    canonical = str(data.get("url") or "")
    if canonical.startswith(("http://", "https://")) and _host(canonical) == _host(page.url):
        url = normalize_url(canonical)
    published = _date_or_none(data.get("date")) or _date_or_none(hints.get("published"))
    meta = {
        "title": title or _fallback_title(text),
        "url": url,
        "publisher": data.get("sitename") or hints.get("publisher") or _host(page.url),
        "published": published,
        "author": data.get("author") or hints.get("author") or "",
        "tags": data.get("tags") or data.get("categories") or (),
    }
    try:
        return article_from_fields("", meta, text, source=url)
    except ArticleError as exc:
        raise NoTextError(f"{page.url}: {exc}") from None


def _date_or_none(value: object) -> date | None:
    try:
        return parse_date(value)
    except ArticleError:
        return None


def to_markdown(article: Article, extra: Mapping[str, object] | None = None) -> str:
    """The corpus file for a fetched article: YAML front matter (keeping the url) + text."""
    meta: dict[str, object] = {"title": article.title, "url": article.url}
    if article.publisher:
        meta["publisher"] = article.publisher
    if article.published:
        meta["published"] = article.published
    if article.author:
        meta["author"] = article.author
    if article.tags:
        meta["tags"] = list(article.tags)
    if article.vendors:
        meta["vendors"] = list(article.vendors)
    meta["fetched"] = datetime.now(UTC).replace(microsecond=0).isoformat()
    meta.update({k: v for k, v in (extra or {}).items() if v})
    front = yaml.safe_dump(meta, sort_keys=False, allow_unicode=True, width=1000)
    return f"---\n{front}---\n\n{article.text.strip()}\n"
