"""The answer object: one per query, rendered as text by the CLI and as blocks by the bot.

`to_json()` is a stable interface other tools script against; keep its field names.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from index.articles import Article


@dataclass(frozen=True)
class ArticleRef:
    id: str
    title: str
    url: str
    publisher: str
    published: str  # ISO date or ""

    @classmethod
    def of(cls, article: Article) -> ArticleRef:
        return cls(article.id, article.title, article.url, article.publisher, article.published_iso)

    def to_json(self) -> dict:
        return {
            "id": self.id,
            "title": self.title,
            "url": self.url,
            "publisher": self.publisher,
            "published": self.published,
        }


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


@dataclass
class Answer:
    query: str
    results: list[Result] = field(default_factory=list)
    message: str = ""
    kind: str = "answer"  # "answer", "brief" (bare vendor name), "none" (abstained), "usage"
    vendors: list[str] = field(default_factory=list)
    notices: list[str] = field(default_factory=list)

    def to_json(self) -> dict:
        return {
            "query": self.query,
            "kind": self.kind,
            "results": [r.to_json() for r in self.results],
            "message": self.message,
            "vendors": self.vendors,
            "notices": self.notices,
        }
