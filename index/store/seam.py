"""The one seam between the engine and where its index lives.

A `Store` builds and updates the index by article hash, opens it for querying (a `StoredIndex`:
articles, passage rows, vendor data, plus either the local FAISS / bm25s files or a handle on
the engine store's server) and says which version it holds, so that serving processes notice
an update. The search primitives behind an opened index are `search/passages.py`
(`PassageSearch`, local) and `search/pg_search.py` (the server); ranking is shared.

* `LocalStore` (`VENDORCHECK_STORE=local`, the default): the built-in generations on disk.
* `EngineStore` (`VENDORCHECK_STORE=postgresql://...`): PostgreSQL with pgvector, shared by
  any number of serving processes on any number of machines. Building reads and embeds the
  corpus with the same builder into a local build cache, then sends the difference.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from index.embed.model import Embedder
from index.store.builder import BuildReport, build_index
from index.store.generations import current_generation
from index.store.reader import StoredIndex, open_index

ENGINE_SCHEMES = ("postgresql://", "postgres://")


class Store(Protocol):
    def build(
        self,
        corpus_dir: Path,
        model_id: str,
        embedder_factory: Callable[[], Embedder],
        rebuild: bool = False,
        progress: bool = False,
    ) -> BuildReport: ...

    def open(self, model_id: str | None) -> StoredIndex: ...

    def version(self) -> str | None: ...

    @property
    def built_dir(self) -> Path:
        """The local generations the last build wrote (for the engine, its build cache)."""
        ...


@dataclass(frozen=True)
class LocalStore:
    index_dir: Path
    name = "local"

    def build(self, corpus_dir, model_id, embedder_factory, rebuild=False, progress=False):  # type: ignore[no-untyped-def]
        return build_index(
            corpus_dir, self.index_dir, model_id, embedder_factory, rebuild, progress
        )

    def open(self, model_id: str | None) -> StoredIndex:
        return open_index(self.index_dir, model_id, mmap=True)

    @property
    def built_dir(self) -> Path:
        return self.index_dir

    def version(self) -> str | None:
        live = current_generation(self.index_dir)
        return live.name if live else None


@dataclass(frozen=True)
class EngineStore:
    url: str
    build_dir: Path  # the local build cache: what was read and embedded last time
    name = "engine"

    def build(self, corpus_dir, model_id, embedder_factory, rebuild=False, progress=False):  # type: ignore[no-untyped-def]
        report = build_index(
            corpus_dir, self.build_dir, model_id, embedder_factory, rebuild, progress
        )
        pushed = self.migrate(self.build_dir, model_id, replace=rebuild)
        report.generation = f"engine-v{pushed.version}"
        report.notes.append(
            f"engine store: version {pushed.version}, {len(pushed.added)} articles sent, "
            f"{len(pushed.removed)} removed, {pushed.passages} passages"
        )
        return report

    @property
    def built_dir(self) -> Path:
        return self.build_dir

    def migrate(self, index_dir: Path, model_id: str | None, replace: bool = False):  # type: ignore[no-untyped-def]
        """Copy the local index in `index_dir` into the engine (only what differs)."""
        from index.store.pg_push import push_generation
        from index.store.pg_schema import connect

        stored = open_index(index_dir, model_id)
        with connect(self.url) as conn:
            return push_generation(conn, stored, replace=replace)

    def open(self, model_id: str | None) -> StoredIndex:
        from index.store.pg_read import open_engine

        return open_engine(self.url, model_id)

    def version(self) -> str | None:
        from index.store.pg_read import store_version

        version = store_version(self.url)
        return None if version is None else f"engine-v{version}"


def is_engine_url(value: str) -> bool:
    return value.startswith(ENGINE_SCHEMES)


def open_store(store: str, index_dir: Path, data_dir: Path) -> Store:
    """`local`, or an engine URL (postgresql://user@host:port/db)."""
    if is_engine_url(store):
        return EngineStore(store, Path(data_dir) / "engine-build")
    return LocalStore(Path(index_dir))
