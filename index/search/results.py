"""The answer object: one per query, rendered as text by the CLI and as blocks by the bot.

`to_json()` is a stable interface other tools script against; keep its field names.
`from_json()` reads it back (the bot stores delivered answers that way).
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field

from index.articles import Article


def text_sha256(text: str) -> str:
    """The hash an evidence export records of an article's text (UTF-8): `start`/`end` are
    offsets into that text, so an auditor can check the quote was in it."""
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


@dataclass(frozen=True)
class ArticleRef:
    id: str
    title: str
    url: str
    publisher: str
    published: str  # ISO date or ""
    sha256: str = ""  # of the article's text as indexed (text_sha256); "" in older records

    @classmethod
    def of(cls, article: Article) -> ArticleRef:
        return cls(
            article.id,
            article.title,
            article.url,
            article.publisher,
            article.published_iso,
            text_sha256(article.text),
        )

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "title": self.title,
            "url": self.url,
            "publisher": self.publisher,
            "published": self.published,
            "sha256": self.sha256,
        }

    @classmethod
    def from_json(cls, data: dict | None) -> ArticleRef | None:
        if not data:
            return None
        return cls(
            str(data.get("id", "")),
            str(data.get("title", "")),
            str(data.get("url", "")),
            str(data.get("publisher", "")),
            str(data.get("published", "")),
            str(data.get("sha256", "")),
        )


@dataclass
class Result:
    rank: int
    score: float
    quote: str
    article: ArticleRef
    start: int
    end: int
    highlights: list[tuple[int, int]] = field(default_factory=list)  # spans inside `quote`
    also_in: list[ArticleRef] = field(default_factory=list)  # near-duplicate sources
    vendors: list[str] = field(default_factory=list)
    superseded_by: ArticleRef | None = None  # a newer article about the same vendor

    def to_json(self) -> dict:
        return {
            "rank": self.rank,
            "score": round(float(self.score), 4),
            "quote": self.quote,
            "article": self.article.to_json(),
            "start": self.start,
            "end": self.end,
            "highlights": [list(span) for span in self.highlights],
            "also_in": [ref.to_json() for ref in self.also_in],
            "vendors": self.vendors,
            "superseded_by": self.superseded_by.to_json() if self.superseded_by else None,
        }

    @classmethod
    def from_json(cls, data: dict) -> Result:
        return cls(
            rank=int(data["rank"]),
            score=float(data["score"]),
            quote=str(data["quote"]),
            article=ArticleRef.from_json(data["article"]),  # type: ignore[arg-type]
            start=int(data["start"]),
            end=int(data["end"]),
            highlights=[(int(a), int(b)) for a, b in data.get("highlights", [])],
            also_in=[x for x in map(ArticleRef.from_json, data.get("also_in", [])) if x],
            vendors=list(data.get("vendors", [])),
            superseded_by=ArticleRef.from_json(data.get("superseded_by")),
        )


@dataclass
class Answer:
    query: str
    results: list[Result] = field(default_factory=list)
    message: str = ""
    kind: str = "answer"  # "answer", "brief" (bare vendor name), "none" (abstained), "usage"
    vendors: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)
    # Official-list status of the names asked about (index.lists.VendorStatus.to_json()):
    # {"vendor", "listed", "as_of", "message", "lists": [{"list_name", "since", "citation",
    # "link", ...}]}. Shown above the quotes; empty when no name was asked about.
    status: list[dict] = field(default_factory=list)
    # The index that answered: {"generation", "model"} (what an evidence export records).
    index: dict = field(default_factory=dict)

    def to_json(self) -> dict:
        return {
            "query": self.query,
            "index": self.index,
            "kind": self.kind,
            "status": self.status,
            "results": [r.to_json() for r in self.results],
            "message": self.message,
            "vendors": self.vendors,
            "notices": self.notices,
        }

    @classmethod
    def from_json(cls, data: dict) -> Answer:
        """The Answer `to_json()` described. Raises ValueError/KeyError/TypeError on a record
        that is not one."""
        return cls(
            query=str(data.get("query", "")),
            results=[Result.from_json(r) for r in data.get("results", [])],
            message=str(data.get("message", "")),
            kind=str(data.get("kind", "answer")),
            vendors=list(data.get("vendors", [])),
            notices=list(data.get("notices", [])),
            status=[dict(s) for s in data.get("status", [])],
            index=dict(data.get("index") or {}),
        )
