"""The on-disk index: generations, a manifest, and an atomic switch between them.

Layout of `index_dir`::

    CURRENT                  name of the live generation (replaced atomically)
    gen-<time>-<rand>/       one complete index
        manifest.json        format, model, dimension, dense index spec, per-article hashes
        articles.jsonl       article metadata and text (quotes are slices of this text)
        passages.npy         int32 rows (article index, start, end)
        embeddings.npy       float32 passage vectors (reused by incremental builds)
        dense.faiss          FAISS index over the same rows
        lexical/             bm25s index over the same rows

A build writes a new generation beside the live one and only then replaces CURRENT, so a
killed build leaves the previous index untouched and readers see the old or the new index,
never a mix.
"""

from __future__ import annotations

import contextlib
import fcntl
import json
import os
import secrets
import shutil
import time
from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import numpy as np

from index.articles import Article
from index.errors import (
    IndexCorruptError,
    IndexIncompatibleError,
    IndexMissingError,
    VendorcheckError,
)

FORMAT_VERSION = 1
CURRENT = "CURRENT"
MANIFEST = "manifest.json"
ARTICLES = "articles.jsonl"
PASSAGES = "passages.npy"
EMBEDDINGS = "embeddings.npy"
DENSE = "dense.faiss"
LEXICAL = "lexical"
KEEP_OLD_GENERATIONS = 2
REBUILD_HINT = "rebuild it with: vendorcheck index --rebuild"


def fsync_dir(path: Path) -> None:
    fd = os.open(path, os.O_RDONLY)
    try:
        os.fsync(fd)
    finally:
        os.close(fd)


def fsync_tree(path: Path) -> None:
    for file in path.rglob("*"):
        if file.is_file():
            with open(file, "rb") as handle:
                os.fsync(handle.fileno())
    for directory in [path, *(p for p in path.rglob("*") if p.is_dir())]:
        fsync_dir(directory)


def atomic_write_text(path: Path, text: str) -> None:
    tmp = path.with_name(f".{path.name}.{secrets.token_hex(4)}.tmp")
    with open(tmp, "w", encoding="utf-8") as handle:
        handle.write(text)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(tmp, path)
    fsync_dir(path.parent)


@contextlib.contextmanager
def build_lock(index_dir: Path) -> Iterator[None]:
    """One builder at a time per index dir; readers never take this lock."""
    index_dir.mkdir(parents=True, exist_ok=True)
    with open(index_dir / ".lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise VendorcheckError(
                f"another `vendorcheck index` is already updating {index_dir}; wait for it to finish"
            ) from None
        try:
            yield
        finally:
            fcntl.flock(handle, fcntl.LOCK_UN)


def current_generation(index_dir: Path) -> Path | None:
    pointer = index_dir / CURRENT
    try:
        name = pointer.read_text().strip()
    except FileNotFoundError:
        return None
    except OSError as exc:
        raise IndexCorruptError(f"cannot read {pointer}: {exc.strerror}; {REBUILD_HINT}") from None
    if not name or "/" in name or not (index_dir / name).is_dir():
        raise IndexCorruptError(
            f"{pointer} points to a missing generation {name!r}; {REBUILD_HINT}"
        )
    return index_dir / name


def new_generation_dir(index_dir: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    path = index_dir / f".gen-{stamp}-{secrets.token_hex(3)}.tmp"
    path.mkdir(parents=True)
    return path


def publish_generation(index_dir: Path, tmp_dir: Path) -> Path:
    """fsync the finished generation, give it its final name, then switch CURRENT to it."""
    fsync_tree(tmp_dir)
    final = index_dir / tmp_dir.name.removeprefix(".").removesuffix(".tmp")
    os.replace(tmp_dir, final)
    fsync_dir(index_dir)
    atomic_write_text(index_dir / CURRENT, final.name + "\n")
    return final


def collect_garbage(index_dir: Path) -> None:
    """Drop unfinished builds and all but the newest old generations. Call under build_lock."""
    for stale in index_dir.glob(".gen-*.tmp"):
        shutil.rmtree(stale, ignore_errors=True)
    for stale in index_dir.glob(f".{CURRENT}.*.tmp"):
        stale.unlink(missing_ok=True)
    live = current_generation(index_dir)
    old = sorted(
        (p for p in index_dir.glob("gen-*") if p.is_dir() and p != live),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for path in old[KEEP_OLD_GENERATIONS:]:
        shutil.rmtree(path, ignore_errors=True)


@dataclass
class Manifest:
    data: dict

    @property
    def model(self) -> str:
        return str(self.data.get("model", ""))

    @property
    def dim(self) -> int:
        return int(self.data.get("dim", 0))

    @property
    def article_hashes(self) -> dict[str, str]:
        return {aid: meta["hash"] for aid, meta in self.data.get("articles", {}).items()}

    @classmethod
    def read(cls, generation: Path) -> Manifest:
        path = generation / MANIFEST
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
            if not isinstance(data, dict) or "format_version" not in data:
                raise ValueError("not a vendorcheck manifest")
        except FileNotFoundError:
            raise IndexCorruptError(f"{path} is missing; {REBUILD_HINT}") from None
        except (ValueError, UnicodeDecodeError) as exc:
            raise IndexCorruptError(f"{path} is unreadable ({exc}); {REBUILD_HINT}") from None
        return cls(data)

    def check_compatible(self, generation: Path, model_id: str | None) -> None:
        version = self.data.get("format_version")
        if version != FORMAT_VERSION:
            raise IndexIncompatibleError(
                f"index at {generation.parent} has format {version}, this vendorcheck reads "
                f"format {FORMAT_VERSION}; {REBUILD_HINT}"
            )
        if model_id is not None and self.model != model_id:
            raise IndexIncompatibleError(
                f"index at {generation.parent} was built with model {self.model!r} but "
                f"VENDORCHECK_MODEL is {model_id!r}; {REBUILD_HINT} (or set VENDORCHECK_MODEL back)"
            )


@dataclass
class StoredIndex:
    """Everything a query needs, loaded once from one generation."""

    generation: Path
    manifest: Manifest
    articles: list[Article]
    passages: np.ndarray  # int32 (n, 3): article index, start, end
    dense: object  # faiss.Index
    lexical: object  # LexicalIndex

    @property
    def size(self) -> int:
        return int(self.passages.shape[0])

    def passage_text(self, row: int) -> str:
        article_idx, start, end = (int(x) for x in self.passages[row])
        return self.articles[article_idx].text[start:end]


def read_articles(path: Path) -> list[Article]:
    try:
        with open(path, encoding="utf-8") as handle:
            return [Article.from_record(json.loads(line)) for line in handle if line.strip()]
    except FileNotFoundError:
        raise IndexCorruptError(f"{path} is missing; {REBUILD_HINT}") from None
    except (ValueError, KeyError, TypeError, UnicodeDecodeError) as exc:
        raise IndexCorruptError(
            f"{path} is garbled ({type(exc).__name__}); {REBUILD_HINT}"
        ) from None


def read_passages(path: Path) -> np.ndarray:
    try:
        rows = np.load(path, allow_pickle=False)
    except FileNotFoundError:
        raise IndexCorruptError(f"{path} is missing; {REBUILD_HINT}") from None
    except (ValueError, OSError, EOFError) as exc:
        raise IndexCorruptError(f"{path} is garbled ({exc}); {REBUILD_HINT}") from None
    if rows.ndim != 2 or rows.shape[1] != 3:
        raise IndexCorruptError(f"{path} has the wrong shape {rows.shape}; {REBUILD_HINT}")
    return rows


def open_index(index_dir: Path, model_id: str | None, mmap: bool = False) -> StoredIndex:
    """Load the live generation, or raise a one-line error that says how to fix it."""
    from index.dense import load_dense
    from index.lexical import LexicalIndex

    generation = current_generation(index_dir)
    if generation is None:
        raise IndexMissingError(
            f"no index at {index_dir}; build one with: vendorcheck index --corpus DIR"
        )
    manifest = Manifest.read(generation)
    manifest.check_compatible(generation, model_id)
    articles = read_articles(generation / ARTICLES)
    passages = read_passages(generation / PASSAGES)
    dense_path = generation / DENSE
    try:
        dense = load_dense(dense_path, manifest.data.get("dense"), mmap=mmap)
    except RuntimeError as exc:
        reason = str(exc).strip().splitlines()[-1][:120] if str(exc).strip() else "unreadable"
        raise IndexCorruptError(f"{dense_path} is corrupt ({reason}); {REBUILD_HINT}") from None
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
    if len(passages) and int(passages[:, 0].max()) >= len(articles):
        raise IndexCorruptError(
            f"{generation / PASSAGES} refers to missing articles; {REBUILD_HINT}"
        )
    return StoredIndex(generation, manifest, articles, passages, dense, lexical)


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def monotonic() -> float:
    return time.perf_counter()
