"""Keep the corpus fresh: add articles from URLs, sync feeds, then index — all or nothing.

Each article is fetched, extracted and written to the corpus atomically; after the batch, the
incremental builder indexes what changed. If indexing fails, every file written in the batch
is put back as it was (and feed state is not advanced), so nothing is ever half-added. One
add/sync runs at a time per process (the builder's lock covers other processes).
"""

from __future__ import annotations

import json
import os
import threading
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field, replace
from pathlib import Path

from index.articles import Article
from index.config import EngineConfig
from index.embed.model import Embedder, model_id_for
from index.errors import VendorcheckError
from index.ingest.extract import NoTextError, NotHtmlError, extract_article, to_markdown
from index.ingest.feeds import STATE_FILE, FeedError, FeedSpec, FeedState, load_feeds, read_feed
from index.ingest.fetch import FetchError, FetchLimits, HttpStatusError, NetworkError, fetch
from index.ingest.webcorpus import (
    CorpusWrite,
    UrlCatalog,
    article_path,
    is_fetched_file,
    read_article,
    saved_id,
)
from index.store.builder import BuildReport, build_index
from index.store.generations import MANIFEST, current_generation
from index.store.seam import open_store
from index.vendors.mentions import find_mention, mentions

_LOCK = threading.Lock()


@dataclass
class Outcome:
    url: str  # as given (or the feed entry's link)
    status: str  # added | updated | unchanged | exists | filtered | failed
    message: str = ""
    article: Article | None = None
    path: Path | None = None
    feed: str = ""
    passages: int = 0
    transient: bool = False  # a failure worth retrying on the next sync

    @property
    def ok(self) -> bool:
        return self.status in ("added", "updated", "unchanged", "exists")


@dataclass
class FeedSummary:
    label: str
    new_entries: int = 0
    not_modified: bool = False
    error: str = ""


@dataclass
class RefreshReport:
    outcomes: list[Outcome] = field(default_factory=list)
    feeds: list[FeedSummary] = field(default_factory=list)
    build: BuildReport | None = None

    @property
    def new_articles(self) -> list[Article]:
        """Articles that were not in the corpus before: the ones watch alerts are about."""
        return [o.article for o in self.outcomes if o.status == "added" and o.article]

    @property
    def failures(self) -> list[Outcome]:
        return [o for o in self.outcomes if o.status == "failed"]


def feeds_path(config: EngineConfig) -> Path:
    configured = os.environ.get("VENDORCHECK_FEEDS")
    return Path(configured).expanduser() if configured else config.corpus_dir / "feeds.yml"


def _is_transient(exc: FetchError) -> bool:
    if isinstance(exc, HttpStatusError):
        return exc.status >= 500 or exc.status == 429
    return isinstance(exc, NetworkError)


class _Batch:
    """One add or sync run: the URL catalogue, the files written, the outcomes."""

    def __init__(
        self, config: EngineConfig, limits: FetchLimits, embedder: Embedder | None = None
    ) -> None:
        self.config = config
        self.limits = limits
        self.embedder = embedder
        self._catalog: UrlCatalog | None = None
        self.writer = CorpusWrite(config.corpus_dir)

    @property
    def catalog(self) -> UrlCatalog:
        """Read on first use: a sync that finds nothing new never loads it."""
        if self._catalog is None:
            self._catalog = UrlCatalog(self.config.corpus_dir, _built_dir(self.config))
        return self._catalog

    def add(
        self,
        url: str,
        hints: dict | None = None,
        filters: Sequence[str] = (),
        feed: str = "",
    ) -> Outcome:
        corpus = self.config.corpus_dir
        try:
            page = fetch(url, self.limits)
            article = extract_article(page, hints)
        except FetchError as exc:
            return Outcome(url, "failed", str(exc), feed=feed, transient=_is_transient(exc))
        except (NotHtmlError, NoTextError) as exc:
            return Outcome(url, "failed", str(exc), feed=feed)
        if filters and not any(mentions(article, term) for term in filters):
            return Outcome(url, "filtered", "matches none of the feed's filters", feed=feed)
        existing = self.catalog.existing(article.url) or self.catalog.existing(page.url)
        if existing is not None and not is_fetched_file(corpus, existing):
            shown = existing.relative_to(corpus) if existing.is_relative_to(corpus) else existing
            return Outcome(
                url, "exists", f"already in the corpus as {shown}; left as it is", feed=feed
            )
        path = existing or article_path(corpus, article.url)
        old = read_article(path, corpus) if path.exists() else None
        saved = replace(article, id=saved_id(path, corpus), source=str(path.relative_to(corpus)))
        if old is not None and old.content_hash() == saved.content_hash():
            status = "unchanged"
        else:
            self.writer.write(path, to_markdown(saved, {"feed": feed}))
            status = "updated" if old is not None else "added"
        self.catalog.remember(article.url, path)
        return Outcome(url, status, article=saved, path=path, feed=feed)

    def index(self, progress: bool) -> BuildReport:
        from index.engine import make_embedder, store_of

        config, embedder = self.config, self.embedder
        factory = (lambda: embedder) if embedder else (lambda: make_embedder(config))
        try:
            if config.store != "local":  # the engine store: same build, then sent by hash
                model = model_id_for(config.model)
                return store_of(config).build(config.corpus_dir, model, factory, progress=progress)
            return build_index(
                corpus_dir=config.corpus_dir,
                index_dir=config.index_dir,
                model_id=model_id_for(config.model),
                embedder_factory=factory,
                progress=progress,
            )
        except BaseException:
            self.writer.rollback()
            raise


def _built_dir(config: EngineConfig) -> Path:
    """The local generations a build writes: the index, or the engine store's build cache."""
    return open_store(config.store, config.index_dir, config.data_dir).built_dir


def _passage_counts(index_dir: Path) -> dict[str, int]:
    generation = current_generation(index_dir)
    if generation is None:
        return {}
    manifest = json.loads((generation / MANIFEST).read_text(encoding="utf-8"))
    return {aid: int(meta["passages"]) for aid, meta in manifest.get("articles", {}).items()}


def _finish(batch: _Batch, report: RefreshReport, progress: bool) -> None:
    if any(o.ok for o in report.outcomes):
        report.build = batch.index(progress)
        counts = _passage_counts(_built_dir(batch.config))
        for outcome in report.outcomes:
            if outcome.article is not None:
                outcome.passages = counts.get(outcome.article.id, 0)


def add_urls(
    config: EngineConfig,
    urls: Iterable[str],
    limits: FetchLimits | None = None,
    progress: bool = False,
    embedder: Embedder | None = None,
) -> RefreshReport:
    """Fetch each URL, save it in the corpus (updating a same-URL article), index the batch."""
    report = RefreshReport()
    with _LOCK:
        batch = _Batch(config, limits or FetchLimits.from_env(), embedder)
        for url in urls:
            report.outcomes.append(batch.add(url))
        _finish(batch, report, progress)
    return report


def sync_feeds(
    config: EngineConfig,
    limits: FetchLimits | None = None,
    only: Sequence[str] = (),
    progress: bool = False,
    embedder: Embedder | None = None,
    cancel: threading.Event | None = None,
) -> RefreshReport:
    """Read every feed in feeds.yml (conditionally), add new entries, index, remember them.

    When `cancel` is set (the server is stopping), no further entries are fetched; what was
    fetched is indexed and the rest is left for the next sync.
    """
    specs = _feed_specs(config, only)
    report = RefreshReport()
    with _LOCK:
        state = FeedState(config.data_dir / STATE_FILE)
        batch = _Batch(config, limits or FetchLimits.from_env(), embedder)
        done = [read for spec in specs if (read := _sync_feed(batch, spec, state, report, cancel))]
        _finish(batch, report, progress)
        for feed in done:
            state.mark_seen(feed.spec.url, feed.handled)
            if not feed.retry:  # else: re-read the whole feed next time to retry what failed
                state.set_validators(feed.spec.url, feed.etag, feed.last_modified)
        state.save()
    return report


def _feed_specs(config: EngineConfig, only: Sequence[str]) -> list[FeedSpec]:
    """The feeds to sync: all of feeds.yml, or those named (or given by URL) in `only`."""
    path = feeds_path(config)
    specs = load_feeds(path)
    if only:
        wanted = {s.casefold() for s in only}
        specs = [s for s in specs if s.name.casefold() in wanted or s.url in only]
        if not specs:
            raise VendorcheckError(f"no feed named {only[0]!r} in {path}")
    if not specs:
        raise VendorcheckError(
            f"no feeds configured: list RSS/Atom feeds in {path} (see README, Feeds)"
        )
    return specs


@dataclass
class _FeedRead:
    """One feed read in a sync: what to remember about it once the batch is indexed."""

    spec: FeedSpec
    handled: list[str]  # entry keys done with (added, filtered, failed for good)
    retry: bool  # some entry should be tried again: keep the old validators
    etag: str | None
    last_modified: str | None


def _sync_feed(
    batch: _Batch,
    spec: FeedSpec,
    state: FeedState,
    report: RefreshReport,
    cancel: threading.Event | None,
) -> _FeedRead | None:
    """Read one feed and add its new entries to the batch; None when it had nothing new."""
    summary = FeedSummary(spec.label)
    report.feeds.append(summary)
    try:
        read = read_feed(spec, state, batch.limits)
    except (FetchError, FeedError) as exc:
        summary.error = str(exc)
        return None
    if read.not_modified:
        summary.not_modified = True
        return None
    summary.new_entries = len(read.entries)
    done = _FeedRead(spec, [], False, read.etag, read.last_modified)
    for entry in read.entries:
        if cancel is not None and cancel.is_set():
            done.retry = True
            break
        preview = f"{entry.title}\n{entry.summary}"
        filters = spec.filters
        if filters and any(find_mention(preview, term) for term in filters):
            filters = ()  # the entry itself already matches
        hints = {
            "title": entry.title,
            "published": entry.published,
            "author": entry.author,
            "publisher": read.title,
        }
        outcome = batch.add(entry.link, hints, filters, feed=spec.label)
        report.outcomes.append(outcome)
        if outcome.transient:
            done.retry = True
        else:
            done.handled.append(entry.key)
    return done
