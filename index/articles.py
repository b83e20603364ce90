"""The article record every loader produces and every later stage consumes."""

from __future__ import annotations

import hashlib
import json
from dataclasses import asdict, dataclass, field
from datetime import date


@dataclass(frozen=True)
class Article:
    id: str
    title: str
    text: str
    url: str = ""
    publisher: str = ""
    published: date | None = None
    author: str = ""
    tags: tuple[str, ...] = ()
    vendors: tuple[str, ...] = ()
    source: str = ""  # file the article came from, relative to the corpus dir

    @property
    def published_iso(self) -> str:
        return self.published.isoformat() if self.published else ""

    def content_hash(self) -> str:
        """Hash of everything that affects the index; a change in any of it re-embeds the article."""
        payload = json.dumps(
            {
                "title": self.title,
                "text": self.text,
                "url": self.url,
                "publisher": self.publisher,
                "published": self.published_iso,
                "author": self.author,
                "tags": list(self.tags),
                "vendors": list(self.vendors),
            },
            sort_keys=True,
            ensure_ascii=False,
        )
        return hashlib.sha256(payload.encode("utf-8")).hexdigest()

    def to_record(self) -> dict:
        record = asdict(self)
        record["published"] = self.published_iso
        record["tags"] = list(self.tags)
        record["vendors"] = list(self.vendors)
        return record

    @classmethod
    def from_record(cls, record: dict) -> Article:
        published = record.get("published") or None
        return cls(
            id=record["id"],
            title=record["title"],
            text=record["text"],
            url=record.get("url", ""),
            publisher=record.get("publisher", ""),
            published=date.fromisoformat(published) if published else None,
            author=record.get("author", ""),
            tags=tuple(record.get("tags", ())),
            vendors=tuple(record.get("vendors", ())),
            source=record.get("source", ""),
        )


@dataclass
class CorpusLoad:
    """Result of reading a corpus directory: good articles plus the files skipped and why."""

    articles: list[Article] = field(default_factory=list)
    skipped: list[tuple[str, str]] = field(default_factory=list)  # (file, reason)
