"""A retriever that follows re-indexing: when `vendorcheck index` publishes a new generation
(atomic CURRENT switch), the bot loads it in the background and swaps it in between queries.

Queries never wait for a load and never fail because of one: until the new generation has
loaded completely they use the old one; a generation that fails to load is logged and skipped
(the old one keeps answering). The embedder (the expensive part) is loaded once and kept.
This is the bot's one index hot-swap: the admin `add` / `sync` call `check()` right after
publishing a generation instead of waiting for the next poll.
"""

from __future__ import annotations

import logging
import threading
from pathlib import Path

from index import (
    Answer,
    Embedder,
    Retriever,
    StoredIndex,
    VendorcheckError,
    model_id_for,
    open_index,
)
from index.search.names import LinkedArticle, NameCheck
from index.store.generations import current_generation

log = logging.getLogger("vendorcheck.index")


class LiveRetriever:
    def __init__(self, retriever: Retriever, index_dir: Path, model: str, interval: float) -> None:
        self._retriever = retriever
        self._index_dir = Path(index_dir)
        self._model_id = model_id_for(model)
        self._interval = interval
        self._failed: str | None = None
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None
        if interval > 0:
            self._thread = threading.Thread(target=self._watch, name="vc-reload", daemon=True)
            self._thread.start()

    @property
    def index(self) -> StoredIndex:
        return self._retriever.index

    @property
    def embedder(self) -> Embedder:
        """The serving model (builds for add / sync reuse it rather than load a second one)."""
        return self._retriever.embedder

    def ask(self, raw_query: str, k: int = 5) -> Answer:
        return self._retriever.ask(raw_query, k=k)  # one reference read: old or new, never half

    def names_in(self, text: str) -> list[NameCheck]:
        return self._retriever.names_in(text)

    def article_at(self, url: str) -> LinkedArticle | None:
        return self._retriever.article_at(url)

    def check(self) -> bool:
        """Load a newer generation if there is one. True if it swapped."""
        refresh = getattr(self._retriever, "refresh", None)
        if refresh is not None:  # a shared engine store: it follows its own version row
            return bool(refresh(force=True))
        try:
            live = current_generation(self._index_dir)
        except VendorcheckError as exc:
            log.warning("index check failed, still serving %s: %s", self.index.generation.name, exc)
            return False
        if live is None or live.name == self.index.generation.name or live.name == self._failed:
            return False
        try:
            stored = open_index(self._index_dir, self._model_id)
        except VendorcheckError as exc:
            self._failed = live.name
            log.warning("new index %s not loaded, still serving the old one: %s", live.name, exc)
            return False
        old = self._retriever
        self._retriever = Retriever(stored, old.embedder, old.params, old.lists)
        log.info("now serving index %s (%d articles)", stored.generation.name, len(stored.articles))
        return True

    def _watch(self) -> None:
        while not self._stop.wait(self._interval):
            try:
                self.check()
            except Exception:  # never let the watcher die silently on an odd filesystem state
                log.exception("index reload check failed")

    def close(self) -> None:
        self._stop.set()
