"""A retriever over a shared store that follows its updates.

Several `serve` processes (and `vendorcheck add` anywhere) share one engine store. Before a
question, at most every `interval` seconds (0: every question), this looks at the store's
version row (one indexed lookup); a new version is loaded and swapped in with one reference
assignment, so a question in flight finishes on the old one. A failed load is logged and the old
version keeps answering.
"""

from __future__ import annotations

import logging
import threading
from time import monotonic

from index.embed.model import Embedder
from index.errors import VendorcheckError
from index.search.filters import QueryFilters
from index.search.results import Answer
from index.search.retriever import Retriever
from index.store.seam import Store

log = logging.getLogger("vendorcheck.index")


class FollowingRetriever:
    def __init__(
        self,
        store: Store,
        model_id: str,
        embedder: Embedder,
        lists: object = None,
        interval: float = 2.0,
    ) -> None:
        self.store, self.model_id, self.interval = store, model_id, interval
        self._retriever = Retriever(store.open(model_id), embedder, lists=lists)  # type: ignore[arg-type]
        self._checked = monotonic()
        self._lock = threading.Lock()

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        """Everything else (index, embedder, params, lists, names_in, article_at, ...) is the
        current retriever's: one delegation, so nothing the bot calls is missing here."""
        if name == "_retriever":
            raise AttributeError(name)
        return getattr(self._retriever, name)

    def ask(self, raw_query: str, k: int = 5, filters: QueryFilters | None = None) -> Answer:
        self.refresh()
        return self._retriever.ask(raw_query, k=k, filters=filters)

    def refresh(self, force: bool = False) -> bool:
        """Load the store's newer version, if there is one. True if it swapped."""
        if not force and monotonic() - self._checked < self.interval:
            return False
        if not self._lock.acquire(blocking=False):
            return False  # another thread is loading it; this question uses the current one
        try:
            self._checked = monotonic()
            if self.store.version() in (None, self.index.generation.name):
                return False
            old = self._retriever
            stored = self.store.open(self.model_id)
            self._retriever = Retriever(stored, old.embedder, old.params, old.lists)
            log.info("now serving %s (%d articles)", stored.generation.name, len(stored.articles))
            return True
        except VendorcheckError as exc:
            log.warning("store check failed, still serving %s: %s", self.index.generation.name, exc)
            return False
        finally:
            self._lock.release()
