"""The engine's front door: build the index and open a retriever from an EngineConfig."""

from __future__ import annotations

from typing import TYPE_CHECKING

from index.config import EngineConfig
from index.embed.loader import load_embedder
from index.embed.model import Embedder, model_id_for
from index.search.retriever import Retriever
from index.store.reader import open_index

if TYPE_CHECKING:
    from index.store.builder import BuildReport
    from index.store.reader import StoredIndex
    from index.store.seam import Store


def make_embedder(config: EngineConfig, allow_export: bool = True) -> Embedder:
    return load_embedder(
        config.model,
        backend=config.backend,
        device=config.device,
        cache_root=config.model_cache_dir,
        allow_export=allow_export,
    )


def build(config: EngineConfig, rebuild: bool = False, progress: bool = False) -> BuildReport:
    # Imported here: the corpus loaders (YAML, front matter, HTML) are not needed to answer.
    from index.store.builder import build_index

    if config.store == "local":
        return build_index(
            corpus_dir=config.corpus_dir,
            index_dir=config.index_dir,
            model_id=model_id_for(config.model),
            embedder_factory=lambda: make_embedder(config),
            rebuild=rebuild,
            progress=progress,
        )
    return store_of(config).build(
        config.corpus_dir, model_id_for(config.model), lambda: make_embedder(config), rebuild,
        progress,
    )  # fmt: skip


def store_of(config: EngineConfig) -> Store:
    """The configured store (`VENDORCHECK_STORE` / `--store`): local files or the engine."""
    from index.store.seam import open_store

    return open_store(config.store, config.index_dir, config.data_dir)


def store_label(config: EngineConfig) -> str:
    """The store, for messages: `local`, or the engine's URL without its password."""
    from index.store.pg_schema import redact

    return "local" if config.store == "local" else redact(config.store)


def open_stored(config: EngineConfig) -> StoredIndex:
    """The configured store's index, opened (for `stats`, `eval`)."""
    return store_of(config).open(model_id_for(config.model))


def open_retriever(config: EngineConfig, embedder: Embedder | None = None) -> Retriever:
    """Load the index (checking it matches the configured model), then the embedder."""
    # Memory-mapped (BM25 arrays, flat FAISS vectors; see store/dense.py load_dense): paged in
    # as queries touch them, so start-up does not read them whole (BM25 at 100k passages:
    # 0.33 s -> 0.04 s, benchmarks/), and processes serving one index share the pages.
    from index.lists.answers import ListStatusProvider

    if config.store != "local":
        from index.search.follow import FollowingRetriever

        return FollowingRetriever(  # type: ignore[return-value]
            store_of(config),
            model_id_for(config.model),
            embedder or make_embedder(config),
            ListStatusProvider(config),
            config.store_check_interval,
        )
    stored = open_index(config.index_dir, model_id_for(config.model), mmap=True)
    return Retriever(stored, embedder or make_embedder(config), lists=ListStatusProvider(config))
