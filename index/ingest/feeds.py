"""RSS/Atom feeds: the feed list (`feeds.yml`), what was already seen, and reading new entries.

`feeds.yml` (default `<corpus>/feeds.yml`, or `VENDORCHECK_FEEDS`)::

    feeds:
      - url: https://example.com/security/rss.xml
        name: Example security news        # optional, shown in reports
        keywords: [ban, sanction, GSA]     # optional: keep only entries mentioning one of them
        vendors: [Kaspersky, Huawei]       # optional: ... or one of these vendors

With no keywords and no vendors every entry is kept. Filters are matched (whole words,
case-insensitive) against the entry title, summary and the extracted article text.

The state file (`<data dir>/feeds-state.json`) remembers, per feed, the ETag and
Last-Modified of the last successful read (sent back as If-None-Match / If-Modified-Since)
and the ids of entries already handled, so a repeat sync fetches nothing new.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from pathlib import Path

import yaml

from index.errors import VendorcheckError
from index.ingest.fetch import FetchLimits, Page, fetch
from index.store.generations import atomic_write_text
from index.text.urls import normalize_url

STATE_FILE = "feeds-state.json"
MAX_SEEN_PER_FEED = 5000
FEED_ACCEPT = (
    "application/rss+xml, application/atom+xml, application/xml;q=0.9, text/xml;q=0.9, */*;q=0.5"
)


class FeedConfigError(VendorcheckError):
    pass


class FeedError(VendorcheckError):
    pass


@dataclass(frozen=True)
class FeedSpec:
    url: str
    name: str = ""
    keywords: tuple[str, ...] = ()
    vendors: tuple[str, ...] = ()

    @property
    def label(self) -> str:
        return self.name or self.url

    @property
    def filters(self) -> tuple[str, ...]:
        return self.keywords + self.vendors


@dataclass(frozen=True)
class Entry:
    key: str  # entry id (or its link) — what "seen" remembers
    link: str
    title: str = ""
    summary: str = ""
    published: date | None = None
    author: str = ""


@dataclass
class FeedRead:
    spec: FeedSpec
    not_modified: bool = False
    entries: list[Entry] = field(default_factory=list)  # only the ones not seen before
    etag: str | None = None
    last_modified: str | None = None
    title: str = ""


def _strings(value: object, where: str, key: str) -> tuple[str, ...]:
    if value is None:
        return ()
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not all(isinstance(v, str | int | float) for v in value):
        raise FeedConfigError(f"{where}: `{key}` must be a list of words")
    return tuple(str(v).strip() for v in value if str(v).strip())


def load_feeds(path: Path) -> list[FeedSpec]:
    """Parse feeds.yml; a missing file is an empty list, a malformed one a one-line error."""
    if not path.exists():
        return []
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8"))
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else "invalid YAML"
        raise FeedConfigError(f"{path}: {first}") from None
    if data is None:
        return []
    items = data.get("feeds") if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise FeedConfigError(f"{path}: expected a `feeds:` list")
    specs: list[FeedSpec] = []
    seen: set[str] = set()
    for number, item in enumerate(items, start=1):
        where = f"{path} feed {number}"
        if isinstance(item, str):
            item = {"url": item}
        if not isinstance(item, dict) or not isinstance(item.get("url"), str):
            raise FeedConfigError(f"{where}: each feed needs a `url:`")
        url = item["url"].strip()
        if not url.lower().startswith(("http://", "https://")):
            raise FeedConfigError(f"{where}: url {url!r} is not http(s)")
        unknown = set(item) - {"url", "name", "keywords", "vendors"}
        if unknown:
            raise FeedConfigError(f"{where}: unknown setting {sorted(unknown)[0]!r}")
        if normalize_url(url) in seen:
            continue
        seen.add(normalize_url(url))
        specs.append(
            FeedSpec(
                url=url,
                name=str(item.get("name") or "").strip(),
                keywords=_strings(item.get("keywords"), where, "keywords"),
                vendors=_strings(item.get("vendors"), where, "vendors"),
            )
        )
    return specs


class FeedState:
    """Per-feed ETag / Last-Modified and seen entry ids, saved atomically as JSON."""

    def __init__(self, path: Path) -> None:
        self.path = path
        self.data: dict[str, dict] = {}
        if path.exists():
            try:
                loaded = json.loads(path.read_text(encoding="utf-8"))
                if isinstance(loaded, dict):
                    self.data = loaded.get("feeds", {})
            except (ValueError, OSError):
                self.data = {}  # a damaged state file only costs one full re-read

    def feed(self, url: str) -> dict:
        return self.data.setdefault(normalize_url(url), {"seen": {}})

    def conditional_headers(self, url: str) -> dict[str, str]:
        state = self.data.get(normalize_url(url), {})
        headers = {}
        if state.get("etag"):
            headers["If-None-Match"] = state["etag"]
        if state.get("last_modified"):
            headers["If-Modified-Since"] = state["last_modified"]
        return headers

    def is_seen(self, url: str, key: str) -> bool:
        return key in self.data.get(normalize_url(url), {}).get("seen", {})

    def mark_seen(self, url: str, keys: list[str]) -> None:
        seen = self.feed(url).setdefault("seen", {})
        stamp = datetime.now(UTC).replace(microsecond=0).isoformat()
        for key in keys:
            seen.setdefault(key, stamp)
        if len(seen) > MAX_SEEN_PER_FEED:  # keep the newest; old ids no longer appear in feeds
            for key in sorted(seen, key=seen.__getitem__)[: len(seen) - MAX_SEEN_PER_FEED]:
                del seen[key]

    def set_validators(self, url: str, etag: str | None, last_modified: str | None) -> None:
        state = self.feed(url)
        state["etag"], state["last_modified"] = etag, last_modified
        state["last_read"] = datetime.now(UTC).replace(microsecond=0).isoformat()

    def save(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        atomic_write_text(self.path, json.dumps({"feeds": self.data}, indent=1, sort_keys=True))


def _entry_date(entry: dict) -> date | None:
    for key in ("published_parsed", "updated_parsed", "created_parsed"):
        value = entry.get(key)
        if value:
            try:
                return date(value.tm_year, value.tm_mon, value.tm_mday)
            except (ValueError, AttributeError):
                continue
    return None


def parse_feed(page: Page, spec: FeedSpec) -> tuple[str, list[Entry]]:
    """Feed bytes -> (feed title, entries with a link). Raises FeedError if it isn't a feed."""
    import feedparser  # lazily: only `sync` needs it

    parsed = feedparser.parse(page.body, response_headers=dict(page.headers))
    if parsed.get("bozo") and not parsed.entries:
        version = parsed.get("version") or ""
        if not version:
            raise FeedError(f"{spec.label}: {page.url} is not an RSS or Atom feed")
    entries: list[Entry] = []
    for raw in parsed.entries:
        link = str(raw.get("link") or "").strip()
        if not link.lower().startswith(("http://", "https://")):
            continue
        key = str(raw.get("id") or raw.get("guid") or normalize_url(link)).strip()
        entries.append(
            Entry(
                key=key,
                link=link,
                title=" ".join(str(raw.get("title") or "").split()),
                summary=str(raw.get("summary") or ""),
                published=_entry_date(raw),
                author=str(raw.get("author") or ""),
            )
        )
    return str(parsed.feed.get("title") or ""), entries


def read_feed(spec: FeedSpec, state: FeedState, limits: FetchLimits | None = None) -> FeedRead:
    """Conditional GET of the feed; returns only entries not seen before."""
    page = fetch(spec.url, limits, headers=state.conditional_headers(spec.url), accept=FEED_ACCEPT)
    if page.not_modified:
        return FeedRead(spec=spec, not_modified=True)
    title, entries = parse_feed(page, spec)
    fresh = [e for e in entries if not state.is_seen(spec.url, e.key)]
    return FeedRead(
        spec=spec,
        entries=fresh,
        etag=page.etag,
        last_modified=page.last_modified,
        title=title,
    )
