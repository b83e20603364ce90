"""Open one generation for querying: everything a query needs, loaded and validated once.

`open_index` reads the manifest, articles, passage offsets, the FAISS and BM25 indexes, the
float32 vectors (memory-mapped once and shared with the dense re-rank) and the vendor data, and
checks that they agree. Any disagreement is a one-line error saying how to fix it; nothing is
rebuilt silently at load.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from index.articles import Article
from index.errors import IndexCorruptError, IndexIncompatibleError, IndexMissingError
from index.store.generations import (
    ARTICLES,
    DENSE,
    EMBEDDINGS,
    LEXICAL,
    PASSAGES,
    REBUILD_HINT,
    current_generation,
)
from index.store.manifest import Manifest
from index.store.sentences import SENTENCES, SentenceTable
from index.vendors.registry import VENDORS_FILE, VendorIndex


@dataclass
class StoredIndex:
    """Everything a query needs, loaded once from one generation."""

    generation: Path
    manifest: Manifest
    articles: list[Article]
    passages: np.ndarray  # int32 (n, 3): article index, start, end
    dense: object  # faiss.Index
    lexical: object  # LexicalIndex
    vectors: np.ndarray | None  # float32 (n, dim), memory-mapped; None if the file is absent
    vendor_data: dict  # vendors.json: entities, aliases, mentions, near-duplicate groups
    vendors: VendorIndex
    engine: object | None = None  # the engine store's EngineHandle (store/pg_read.py), if any
    # Each passage's sentences and their terms (store/sentences.py); None for a generation
    # written before them, and for the engine store: key sentences are then computed per quote.
    sentences: SentenceTable | None = None

    @property
    def size(self) -> int:
        return int(self.passages.shape[0])


def _article(record: object) -> Article:
    if not isinstance(record, dict):
        raise TypeError("not an object")
    article = Article.from_record(record)
    if not all(isinstance(v, str) for v in (article.id, article.title, article.text, article.url)):
        raise TypeError("field of the wrong type")
    return article


def read_articles(path: Path) -> list[Article]:
    try:
        with open(path, encoding="utf-8") as handle:
            return [_article(json.loads(line)) for line in handle if line.strip()]
    except FileNotFoundError:
        raise IndexCorruptError(f"{path} is missing; {REBUILD_HINT}") from None
    except (ValueError, KeyError, TypeError, AttributeError, UnicodeDecodeError) as exc:
        raise IndexCorruptError(
            f"{path} is garbled ({type(exc).__name__}); {REBUILD_HINT}"
        ) from None


def read_passages(path: Path) -> np.ndarray:
    try:
        rows = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise IndexCorruptError(f"{path} is missing; {REBUILD_HINT}") from None
    except (ValueError, OSError, EOFError):
        raise IndexCorruptError(f"{path} is garbled (not a .npy array); {REBUILD_HINT}") from None
    if rows.ndim != 2 or rows.shape[1] != 3 or rows.dtype != np.int32:
        raise IndexCorruptError(
            f"{path} holds {rows.dtype} {rows.shape}, not int32 rows of 3; {REBUILD_HINT}"
        )
    return rows


def check_passages(path: Path, rows: np.ndarray, articles: list[Article]) -> None:
    """Every row points inside an existing article (else quotes would be wrong slices)."""
    if not len(rows):
        return
    idx, start, end = rows[:, 0], rows[:, 1], rows[:, 2]
    if int(idx.min()) < 0 or int(idx.max()) >= len(articles):
        raise IndexCorruptError(f"{path} refers to missing articles; {REBUILD_HINT}")
    lengths = np.fromiter((len(a.text) for a in articles), dtype=np.int64, count=len(articles))
    if bool(((start < 0) | (end <= start) | (end > lengths[idx])).any()):
        raise IndexCorruptError(f"{path} has passages outside their articles; {REBUILD_HINT}")


def open_index(index_dir: Path, model_id: str | None, mmap: bool = False) -> StoredIndex:
    """Load the live generation, or raise a one-line error that says how to fix it."""
    from index.store.dense import load_dense
    from index.store.lexical import LexicalIndex

    generation = current_generation(index_dir)
    if generation is None:
        raise IndexMissingError(
            f"no index at {index_dir}; build one with: vendorcheck index --corpus DIR"
        )
    manifest = Manifest.read(generation)
    manifest.check_compatible(generation, model_id)
    manifest.check_files(generation)
    articles = read_articles(generation / ARTICLES)
    passages = read_passages(generation / PASSAGES)
    vectors = read_vectors(generation / EMBEDDINGS, len(passages), manifest.dim)
    dense_path = generation / DENSE
    if not dense_path.is_file():
        raise IndexCorruptError(f"{dense_path} is missing; {REBUILD_HINT}")
    try:
        dense = load_dense(dense_path, manifest.data.get("dense"), mmap=mmap, vectors=vectors)
    except (RuntimeError, MemoryError, ValueError):
        # FAISS's own message is a C++ source location: not useful to the reader.
        raise IndexCorruptError(
            f"{dense_path} is corrupt or truncated (FAISS cannot read it); {REBUILD_HINT}"
        ) from None
    try:
        lexical = LexicalIndex.load(generation / LEXICAL, size=len(passages), mmap=mmap)
    except Exception as exc:
        raise IndexCorruptError(
            f"{generation / LEXICAL} is corrupt ({type(exc).__name__}); {REBUILD_HINT}"
        ) from None
    if dense.ntotal != len(passages) or dense.d != manifest.dim:
        raise IndexCorruptError(
            f"{dense_path} holds {dense.ntotal} vectors of dimension {dense.d}, the manifest "
            f"says {len(passages)} of dimension {manifest.dim}; {REBUILD_HINT}"
        )
    counts = manifest.data.get("counts", {})
    if isinstance(counts, dict) and counts.get("articles", len(articles)) != len(articles):
        raise IndexCorruptError(
            f"{generation / ARTICLES} holds {len(articles)} articles, the manifest says "
            f"{counts.get('articles')}; {REBUILD_HINT}"
        )
    check_passages(generation / PASSAGES, passages, articles)
    vendor_data = read_vendor_data(generation / VENDORS_FILE)
    vendors = VendorIndex(vendor_data, passages, articles)
    sentences = SentenceTable.load(generation / SENTENCES, len(passages))
    return StoredIndex(
        generation,
        manifest,
        articles,
        passages,
        dense,
        lexical,
        vectors,
        vendor_data,
        vendors,
        sentences=sentences,
    )


def read_vectors(path: Path, rows: int, dim: int) -> np.ndarray | None:
    """The float32 vectors, memory-mapped (paged in only where read); None if absent."""
    try:
        vectors = np.load(path, mmap_mode="r", allow_pickle=False)
    except FileNotFoundError:
        return None
    except (OSError, ValueError):
        raise IndexCorruptError(f"{path} is garbled (not a .npy array); {REBUILD_HINT}") from None
    if vectors.ndim != 2 or vectors.shape != (rows, dim):
        raise IndexCorruptError(
            f"{path} holds {vectors.shape}, expected ({rows}, {dim}); {REBUILD_HINT}"
        )
    return vectors


def read_vendor_data(path: Path) -> dict:
    """vendors.json, which every generation since vendor awareness carries."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise IndexIncompatibleError(
            f"{path.parent} was built by an older version (no vendor data); {REBUILD_HINT}"
        ) from None
    except (OSError, ValueError, UnicodeDecodeError):
        raise IndexCorruptError(f"{path} is garbled; {REBUILD_HINT}") from None
    if not isinstance(data, dict) or not isinstance(data.get("entities", {}), dict):
        raise IndexCorruptError(f"{path} is not vendor data; {REBUILD_HINT}")
    return data
