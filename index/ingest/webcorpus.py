"""Where fetched articles live in the corpus, how duplicates are found, and all-or-nothing writes.

A fetched article is saved as `<corpus>/web/<host>/<path-slug>-<url-digest>.md`: the name
depends only on the normalised URL, so fetching the same article again (even through a link
with tracking parameters) rewrites the same file instead of adding a second one. Articles
already in the index under the same URL (for example a hand-curated Markdown file) are found
through the index's article records and are left alone.
"""

from __future__ import annotations

import json
import os
import secrets
from dataclasses import dataclass, field
from pathlib import Path
from urllib.parse import urlsplit

from index.articles import Article
from index.errors import VendorcheckError
from index.ingest.loaders import article_id_for, load_article_file, slugify
from index.store.generations import ARTICLES, current_generation, fsync_dir
from index.text.urls import normalize_url, url_key

WEB_DIR = "web"


def article_path(corpus_dir: Path, url: str) -> Path:
    normalized = normalize_url(url)
    parts = urlsplit(normalized)
    host = slugify((parts.hostname or "site").removeprefix("www."), 60)
    if parts.port:
        host = f"{host}-{parts.port}"
    path_slug = slugify(parts.path.rsplit(".", 1)[0], 60) if parts.path.strip("/") else "index"
    return corpus_dir / WEB_DIR / host / f"{path_slug}-{url_key(normalized)}.md"


class UrlCatalog:
    """Normalised URL -> corpus file, for the articles already indexed (read once per run)."""

    def __init__(self, corpus_dir: Path, index_dir: Path) -> None:
        self.corpus_dir = corpus_dir
        self._by_url: dict[str, str] = {}
        try:
            generation = current_generation(index_dir)
        except (
            VendorcheckError
        ):  # a corrupt index only loses duplicate detection for hand-made files
            generation = None
        if generation is None:
            return
        try:
            with open(generation / ARTICLES, encoding="utf-8") as handle:
                for line in handle:
                    record = json.loads(line)
                    if record.get("url"):
                        self._by_url.setdefault(normalize_url(record["url"]), record["source"])
        except (OSError, ValueError):
            self._by_url.clear()

    def existing(self, url: str) -> Path | None:
        """The file that already holds this URL: the fetched file, else any indexed article."""
        own = article_path(self.corpus_dir, url)
        if own.exists():
            return own
        source = self._by_url.get(normalize_url(url))
        return self.corpus_dir / source if source else None

    def remember(self, url: str, path: Path) -> None:
        self._by_url[normalize_url(url)] = str(path.relative_to(self.corpus_dir))


def is_fetched_file(corpus_dir: Path, path: Path) -> bool:
    try:
        return path.relative_to(corpus_dir).parts[0] == WEB_DIR and path.suffix == ".md"
    except (ValueError, IndexError):
        return False


def read_article(path: Path, corpus_dir: Path) -> Article | None:
    try:
        articles = load_article_file(path, corpus_dir)
    except (VendorcheckError, OSError):
        return None
    return articles[0] if len(articles) == 1 else None


@dataclass
class CorpusWrite:
    """Files written during one add/sync, with what they held before, so it can be undone."""

    corpus_dir: Path
    written: list[tuple[Path, bytes | None]] = field(default_factory=list)

    def write(self, path: Path, text: str) -> None:
        path.parent.mkdir(parents=True, exist_ok=True)
        previous = path.read_bytes() if path.exists() else None
        tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
        try:
            with open(tmp, "w", encoding="utf-8") as handle:
                handle.write(text)
                handle.flush()
                os.fsync(handle.fileno())
            os.replace(tmp, path)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        fsync_dir(path.parent)
        self.written.append((path, previous))

    def rollback(self) -> None:
        """Put every file back as it was (remove the new ones)."""
        for path, previous in reversed(self.written):
            if previous is None:
                path.unlink(missing_ok=True)
            else:
                tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
                tmp.write_bytes(previous)
                os.replace(tmp, path)
        for path, _ in self.written:
            parent = path.parent
            while parent != self.corpus_dir and parent.is_dir() and not any(parent.iterdir()):
                parent.rmdir()
                parent = parent.parent
        self.written.clear()


def saved_id(path: Path, corpus_dir: Path) -> str:
    return article_id_for(path, corpus_dir)
