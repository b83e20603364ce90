"""The passage rows and vectors of a new generation: reused from the live one where an article
is unchanged, else chunked (to the embedder's token limit) and embedded."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.articles import Article
from index.embed.model import Embedder
from index.errors import IndexCorruptError
from index.store.generations import EMBEDDINGS, PASSAGES, REBUILD_HINT
from index.store.manifest import Manifest
from index.text.chunking import chunk_text, embedding_input

# Recorded in the manifest: a build with other chunking re-chunks every article.
CHUNKING = {"version": 1, "target_tokens": 128, "max_tokens": 200}

Rows = list[tuple[int, int, int]]  # passage rows: (article index, start, end)
Reused = dict[str, tuple[list[tuple[int, int]], np.ndarray]]  # article id -> spans, vectors


def chunk_article(article: Article, embedder: Embedder) -> list[tuple[int, int]]:
    title_tokens = embedder.count_tokens([article.title])[0]
    max_tokens = max(32, min(CHUNKING["max_tokens"], embedder.max_tokens - title_tokens - 4))
    target = min(CHUNKING["target_tokens"], max_tokens)
    spans = chunk_text(article.text, embedder.count_tokens, target, max_tokens)
    return [(s.start, s.end) for s in spans]


@dataclass
class Passages:
    rows: Rows
    vectors: np.ndarray  # float32 (len(rows), dim)
    article_meta: dict[str, dict]  # article id -> hash, first_passage, passages (the manifest's)
    embedded: int  # how many of the rows were embedded now


def passages_for(
    articles: list[Article],
    reused: Reused,
    new_hashes: dict[str, str],
    embedder_factory: Callable[[], Embedder],
    previous_dim: int,
    batch_size: int,
    progress: bool,
) -> Passages:
    """Every article's passage rows and vectors: reused where its hash is unchanged, else
    chunked and embedded (the embedder is made on the first article that needs it)."""
    embedder: Embedder | None = None
    rows: Rows = []
    row_vectors: list[np.ndarray | None] = []
    to_embed: list[str] = []
    to_embed_rows: list[int] = []
    article_meta: dict[str, dict] = {}
    for article_idx, article in enumerate(articles):
        first = len(rows)
        if article.id in reused:
            spans, old_vectors = reused[article.id]
            for (start, end), vector in zip(spans, old_vectors, strict=True):
                rows.append((article_idx, start, end))
                row_vectors.append(vector)
        else:
            if embedder is None:
                embedder = embedder_factory()
            for start, end in chunk_article(article, embedder):
                to_embed_rows.append(len(rows))
                to_embed.append(embedding_input(article.title, article.text[start:end]))
                rows.append((article_idx, start, end))
                row_vectors.append(None)
        article_meta[article.id] = {
            "hash": new_hashes[article.id],
            "first_passage": first,
            "passages": len(rows) - first,
        }
    vectors = np.zeros((len(rows), embedder.dim if embedder else previous_dim), dtype=np.float32)
    for row, vector in enumerate(row_vectors):
        if vector is not None:
            vectors[row] = vector
    if to_embed:
        assert embedder is not None
        vectors[to_embed_rows] = embedder.embed(to_embed, batch_size=batch_size, progress=progress)
    return Passages(rows, vectors, article_meta, embedded=len(to_embed))


def reusable_rows(generation: Path, manifest: Manifest | None) -> Reused:
    """Per article id: its passage spans and vectors in the previous generation."""
    if manifest is None:
        return {}
    try:
        passages = np.load(generation / PASSAGES, allow_pickle=False)
        vectors = np.load(generation / EMBEDDINGS, mmap_mode="r", allow_pickle=False)
    except (OSError, ValueError) as exc:
        raise IndexCorruptError(f"{generation} is unreadable ({exc}); {REBUILD_HINT}") from None
    reused = {}
    for aid, meta in manifest.data.get("articles", {}).items():
        first, count = int(meta["first_passage"]), int(meta["passages"])
        spans = [(int(s), int(e)) for _, s, e in passages[first : first + count]]
        reused[aid] = (spans, np.asarray(vectors[first : first + count]))
    return reused
