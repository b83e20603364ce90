"""The on-disk index: generations, a manifest, and an atomic switch between them.

Layout of `index_dir`::

    CURRENT                  name of the live generation (replaced atomically)
    gen-<time>-<rand>/       one complete index
        manifest.json        format, model, dimension, dense index spec, per-article hashes
                             (`manifest.py`)
        articles.jsonl       article metadata and text (quotes are slices of this text)
        passages.npy         int32 rows (article index, start, end)
        embeddings.npy       float32 passage vectors (reused by incremental builds)
        dense.faiss          FAISS index over the same rows
        lexical/             bm25s index over the same rows
        sentences/           each passage's sentence spans and their BM25 terms, for key
                             sentences (`sentences.py`; absent from generations written before)

A build writes a new generation beside the live one and only then replaces CURRENT, so a
killed build leaves the previous index untouched and readers see the old or the new index,
never a mix.
"""

from __future__ import annotations

import contextlib
import fcntl
import hashlib
import json
import os
import secrets
import shutil
import time
from collections.abc import Iterator
from datetime import UTC, datetime
from pathlib import Path

from index.errors import IndexCorruptError, VendorcheckError

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


def file_sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


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
        name = pointer.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        return None
    except UnicodeDecodeError:
        raise IndexCorruptError(f"{pointer} is garbled; {REBUILD_HINT}") from None
    except OSError as exc:
        raise IndexCorruptError(f"cannot read {pointer}: {exc.strerror}; {REBUILD_HINT}") from None
    if not name or "/" in name or not name.startswith("gen-") or not (index_dir / name).is_dir():
        raise IndexCorruptError(
            f"{pointer} points to a missing generation {name!r}; {REBUILD_HINT}"
        )
    return index_dir / name


def new_generation_dir(index_dir: Path) -> Path:
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%S")
    path = index_dir / f".gen-{stamp}-{secrets.token_hex(3)}.tmp"
    path.mkdir(parents=True)
    return path


def record_files(generation: Path) -> None:
    """Add every file's size and sha256 to the manifest, so a truncated or garbled file is
    caught when the index is opened (sizes) or reused by the next build (hashes)."""
    manifest_path = generation / MANIFEST
    data = json.loads(manifest_path.read_text(encoding="utf-8"))
    files = {}
    for file in sorted(generation.rglob("*")):
        if file.is_file() and file != manifest_path:
            rel = file.relative_to(generation).as_posix()
            files[rel] = {"size": file.stat().st_size, "sha256": file_sha256(file)}
    data["files"] = files
    manifest_path.write_text(json.dumps(data, indent=1), encoding="utf-8")


def publish_generation(index_dir: Path, tmp_dir: Path) -> Path:
    """Record file sizes and hashes, fsync the finished generation, give it its final name,
    then switch CURRENT to it."""
    record_files(tmp_dir)
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
    try:
        live = current_generation(index_dir)
    except IndexCorruptError:
        live = None  # a broken CURRENT must not stop `vendorcheck index --rebuild` fixing it
    old = sorted(
        (p for p in index_dir.glob("gen-*") if p.is_dir() and p != live),
        key=lambda p: p.stat().st_mtime,
        reverse=True,
    )
    for path in old[KEEP_OLD_GENERATIONS:]:
        shutil.rmtree(path, ignore_errors=True)


def now_iso() -> str:
    return datetime.now(UTC).replace(microsecond=0).isoformat()


def monotonic() -> float:
    return time.perf_counter()
