"""Build or update the index from a corpus directory, embedding only what changed."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from index.articles import Article
from index.embed.model import Embedder
from index.errors import IndexCorruptError, VendorcheckError
from index.ingest.loaders import load_corpus
from index.store.dense import build_dense, save_dense
from index.store.duplicates import find_duplicates
from index.store.generations import (
    ARTICLES,
    DENSE,
    EMBEDDINGS,
    FORMAT_VERSION,
    LEXICAL,
    MANIFEST,
    PASSAGES,
    REBUILD_HINT,
    Manifest,
    atomic_write_text,
    build_lock,
    collect_garbage,
    current_generation,
    monotonic,
    new_generation_dir,
    now_iso,
    publish_generation,
)
from index.store.lexical import LexicalIndex
from index.store.reader import open_index
from index.text.chunking import chunk_text, embedding_input
from index.vendors.aliases import alias_file_text, read_alias_file
from index.vendors.extract import DATA_VERSION as VENDOR_DATA_VERSION
from index.vendors.extract import build_vendor_data
from index.vendors.registry import VENDORS_FILE

CHUNKING = {"version": 1, "target_tokens": 128, "max_tokens": 200}


@dataclass
class BuildReport:
    added: list[str] = field(default_factory=list)
    changed: list[str] = field(default_factory=list)
    removed: list[str] = field(default_factory=list)
    unchanged: int = 0
    skipped: list[tuple[str, str]] = field(default_factory=list)
    embedded_passages: int = 0
    articles: int = 0
    passages: int = 0
    seconds: float = 0.0
    generation: str = ""
    aliases_changed: bool = False  # corpus/vendors.yml changed: vendor data is rebuilt
    notes: list[str] = field(default_factory=list)

    @property
    def wrote_new_generation(self) -> bool:
        return bool(self.added or self.changed or self.removed or self.aliases_changed)


def _previous(
    index_dir: Path, model_id: str, rebuild: bool, report: BuildReport
) -> tuple[Path | None, Manifest | None]:
    if rebuild:
        return None, None
    try:
        generation = current_generation(index_dir)
        if generation is None:
            return None, None
        manifest = Manifest.read(generation)
        manifest.check_compatible(generation, model_id)
        # The corpus is the source of truth: a live index that cannot be opened is rebuilt
        # from it rather than reported "up to date" (a model mismatch still stops the build).
        open_index(index_dir, model_id, mmap=True)
    except IndexCorruptError as exc:
        report.notes.append(f"the previous index was unreadable, rebuilt from the corpus: {exc}")
        return None, None
    if manifest.data.get("chunking") != CHUNKING:
        return None, None  # chunking changed: every article must be re-chunked
    return generation, manifest


def corpus_fingerprint(corpus_dir: Path) -> dict[str, str]:
    """Digest of every (non-hidden) file under the corpus dir, plus of the loader's own code.

    If nothing here changed since the last build, the corpus parses to the same articles, so a
    no-op update can stop before parsing 10k files of YAML front matter (~1 s of the no-op's
    time at 10k articles, see benchmarks/). Any change, in an article or in any other file
    (e.g. a vendors list), falls back to the full comparison. Digests of content, not mtimes,
    so a same-second edit is never missed.
    """
    import index.articles
    import index.ingest.loaders

    digests = {
        "<loader>": hashlib.blake2b(
            Path(index.ingest.loaders.__file__).read_bytes()
            + Path(index.articles.__file__).read_bytes(),
            digest_size=16,
        ).hexdigest(),
        "<vendor-data>": str(VENDOR_DATA_VERSION),  # new extraction rules rebuild vendor data
    }
    for root, dirs, files in os.walk(corpus_dir):
        dirs[:] = [d for d in dirs if not d.startswith(".")]
        for name in files:
            if name.startswith("."):
                continue
            path = os.path.join(root, name)
            try:
                with open(path, "rb") as handle:
                    digest = hashlib.blake2b(handle.read(), digest_size=16).hexdigest()
            except OSError:
                digest = "unreadable"
            digests[os.path.relpath(path, corpus_dir)] = digest
    return digests


def _chunk(article: Article, embedder: Embedder) -> list[tuple[int, int]]:
    title_tokens = embedder.count_tokens([article.title])[0]
    max_tokens = max(32, min(CHUNKING["max_tokens"], embedder.max_tokens - title_tokens - 4))
    target = min(CHUNKING["target_tokens"], max_tokens)
    spans = chunk_text(article.text, embedder.count_tokens, target, max_tokens)
    return [(s.start, s.end) for s in spans]


def build_index(
    corpus_dir: Path,
    index_dir: Path,
    model_id: str,
    embedder_factory: Callable[[], Embedder],
    rebuild: bool = False,
    progress: bool = False,
    batch_size: int = 32,
) -> BuildReport:
    """Bring the index in `index_dir` up to date with `corpus_dir`.

    The embedder is created only if something needs embedding, so a no-op update never loads
    the model.
    """
    started = monotonic()
    report = BuildReport()
    with build_lock(index_dir):
        collect_garbage(index_dir)
        prev_gen, prev_manifest = _previous(index_dir, model_id, rebuild, report)
        fingerprint = corpus_fingerprint(corpus_dir) if corpus_dir.is_dir() else {}
        if prev_gen is not None and prev_manifest.data.get("corpus_files") == fingerprint:
            counts = prev_manifest.data.get("counts", {})
            report.skipped = [tuple(item) for item in prev_manifest.data.get("skipped", [])]
            report.articles = report.unchanged = int(counts.get("articles", 0))
            report.passages = int(counts.get("passages", 0))
            report.generation = prev_gen.name
            report.seconds = monotonic() - started
            return report
        corpus = load_corpus(corpus_dir)
        report.skipped = corpus.skipped
        old_hashes = prev_manifest.article_hashes if prev_manifest else {}
        new_hashes = {a.id: a.content_hash() for a in corpus.articles}
        report.added = sorted(aid for aid in new_hashes if aid not in old_hashes)
        report.changed = sorted(
            aid for aid, h in new_hashes.items() if aid in old_hashes and old_hashes[aid] != h
        )
        report.removed = sorted(aid for aid in old_hashes if aid not in new_hashes)
        report.unchanged = len(new_hashes) - len(report.added) - len(report.changed)
        report.articles = len(corpus.articles)
        aliases = read_alias_file(corpus_dir)
        # The vendor data format version is hashed in too, so new extraction rules apply.
        aliases_hash = hashlib.sha256(
            f"{VENDOR_DATA_VERSION}\n{alias_file_text(corpus_dir)}".encode()
        ).hexdigest()
        report.aliases_changed = prev_manifest is not None and (
            prev_manifest.data.get("aliases_hash") != aliases_hash
        )
        if prev_gen is not None and not report.wrote_new_generation:
            if prev_manifest.data.get("corpus_files") != fingerprint:
                # Same articles, files touched (or first run with this version): remember the
                # new fingerprint so the next no-op takes the fast path.
                prev_manifest.data["corpus_files"] = fingerprint
                prev_manifest.data["skipped"] = [list(item) for item in corpus.skipped]
                atomic_write_text(prev_gen / MANIFEST, json.dumps(prev_manifest.data, indent=1))
            report.passages = int(prev_manifest.data.get("counts", {}).get("passages", 0))
            report.generation = prev_gen.name
            report.seconds = monotonic() - started
            return report
        if not corpus.articles:
            raise VendorcheckError(f"no readable articles in {corpus_dir}; nothing to index")

        reused = {}
        if prev_gen is not None:
            try:
                for rel in (PASSAGES, EMBEDDINGS):  # about to be copied into the new index
                    prev_manifest.verify_hash(prev_gen, rel)  # type: ignore[union-attr]
                reused = _reusable_rows(prev_gen, prev_manifest)
            except IndexCorruptError as exc:
                report.notes.append(f"previous vectors unusable, re-embedding everything: {exc}")
        embedder: Embedder | None = None
        rows: list[tuple[int, int, int]] = []
        row_vectors: list[np.ndarray | None] = []
        to_embed: list[str] = []
        to_embed_rows: list[int] = []
        article_meta: dict[str, dict] = {}
        for article_idx, article in enumerate(corpus.articles):
            first = len(rows)
            old = reused.get(article.id)
            if old is not None and old_hashes.get(article.id) == new_hashes[article.id]:
                spans, vectors = old
                for (start, end), vector in zip(spans, vectors, strict=True):
                    rows.append((article_idx, start, end))
                    row_vectors.append(vector)
            else:
                if embedder is None:
                    embedder = embedder_factory()
                for start, end in _chunk(article, embedder):
                    to_embed_rows.append(len(rows))
                    to_embed.append(embedding_input(article.title, article.text[start:end]))
                    rows.append((article_idx, start, end))
                    row_vectors.append(None)
            article_meta[article.id] = {
                "hash": new_hashes[article.id],
                "first_passage": first,
                "passages": len(rows) - first,
            }
        dim = embedder.dim if embedder else prev_manifest.dim  # type: ignore[union-attr]
        vectors = np.zeros((len(rows), dim), dtype=np.float32)
        for row, vector in enumerate(row_vectors):
            if vector is not None:
                vectors[row] = vector
        if to_embed:
            assert embedder is not None
            vectors[to_embed_rows] = embedder.embed(
                to_embed, batch_size=batch_size, progress=progress
            )
        report.embedded_passages = len(to_embed)
        report.passages = len(rows)

        tmp = new_generation_dir(index_dir)
        try:
            _write_generation(
                tmp,
                corpus.articles,
                rows,
                vectors,
                model_id,
                article_meta,
                corpus_files=fingerprint,
                skipped=corpus.skipped,
            )
            _write_vendor_data(tmp, corpus.articles, rows, vectors, aliases, aliases_hash)
            final = publish_generation(index_dir, tmp)
        except BaseException:
            import shutil

            shutil.rmtree(tmp, ignore_errors=True)
            raise
        report.generation = final.name
        collect_garbage(index_dir)
    report.seconds = monotonic() - started
    return report


def _reusable_rows(
    generation: Path, manifest: Manifest | None
) -> dict[str, tuple[list[tuple[int, int]], np.ndarray]]:
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


def _write_generation(
    directory: Path,
    articles: list[Article],
    rows: list[tuple[int, int, int]],
    vectors: np.ndarray,
    model_id: str,
    article_meta: dict[str, dict],
    corpus_files: dict[str, str] | None = None,
    skipped: list[tuple[str, str]] | None = None,
) -> None:
    with open(directory / ARTICLES, "w", encoding="utf-8") as handle:
        for article in articles:
            handle.write(json.dumps(article.to_record(), ensure_ascii=False) + "\n")
    passages = np.asarray(rows, dtype=np.int32).reshape(-1, 3)
    np.save(directory / PASSAGES, passages)
    np.save(directory / EMBEDDINGS, vectors)
    dense, spec = build_dense(vectors)
    save_dense(dense, directory / DENSE)
    lexical_texts = [embedding_input(articles[a].title, articles[a].text[s:e]) for a, s, e in rows]
    LexicalIndex.build(lexical_texts).save(directory / LEXICAL)
    manifest = {
        "format_version": FORMAT_VERSION,
        "model": model_id,
        "dim": int(vectors.shape[1]),
        "chunking": CHUNKING,
        "dense": spec.to_dict(),
        "created": now_iso(),
        "counts": {"articles": len(articles), "passages": len(rows)},
        "articles": article_meta,
        "corpus_files": corpus_files or {},
        "skipped": [list(item) for item in skipped or []],
    }
    (directory / MANIFEST).write_text(json.dumps(manifest, indent=1), encoding="utf-8")


def _write_vendor_data(
    directory: Path,
    articles: list[Article],
    rows: list[tuple[int, int, int]],
    vectors: np.ndarray,
    aliases: dict[str, list[str]],
    aliases_hash: str,
) -> None:
    """vendors.json: who each article is about, who each passage names, near-duplicates.

    Rebuilt in full every build (text scanning only, no model), so it always matches the
    generation it sits in; the alias file's hash goes into the manifest so that editing
    corpus/vendors.yml alone also produces a new generation.
    """
    data = build_vendor_data(articles, rows, aliases)
    data["duplicates"] = find_duplicates(
        articles, np.asarray(rows, dtype=np.int64).reshape(-1, 3), vectors
    )
    (directory / VENDORS_FILE).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    manifest_path = directory / MANIFEST
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["aliases_hash"] = aliases_hash
    manifest_path.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
