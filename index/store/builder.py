"""Build or update the index from a corpus directory, embedding only what changed.

`build_index` under the build lock: the no-op fast path (same corpus files as the live
generation: nothing is parsed), else load the corpus and compare article hashes with the live
generation's manifest; unchanged articles keep their passages and vectors, new and changed ones
are chunked and embedded (the model is loaded only then), and `writer.py` writes the new
generation, which `generations.publish_generation` switches to atomically.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

from index.embed.model import Embedder
from index.errors import IndexCorruptError, VendorcheckError
from index.ingest.loaders import CorpusLoad, load_corpus
from index.store.generations import (
    EMBEDDINGS,
    MANIFEST,
    PASSAGES,
    atomic_write_text,
    build_lock,
    collect_garbage,
    current_generation,
    monotonic,
    new_generation_dir,
    publish_generation,
)
from index.store.manifest import Manifest
from index.store.passages import CHUNKING, Passages, Reused, passages_for, reusable_rows
from index.store.reader import open_index
from index.store.sentences import SENTENCES, SentenceTable
from index.store.writer import write_generation, write_vendor_data
from index.text.terms import TERMS_VERSION
from index.vendors.aliases import alias_file_text, read_alias_file
from index.vendors.extract import DATA_VERSION as VENDOR_DATA_VERSION


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
        "<terms>": str(TERMS_VERSION),  # a new BM25 tokenizer rebuilds the lexical index
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
        _update(
            report, corpus_dir, index_dir, model_id, embedder_factory, rebuild, batch_size, progress
        )
    report.seconds = monotonic() - started
    return report


def _update(
    report: BuildReport,
    corpus_dir: Path,
    index_dir: Path,
    model_id: str,
    embedder_factory: Callable[[], Embedder],
    rebuild: bool,
    batch_size: int,
    progress: bool,
) -> None:
    """`build_index` under the lock: return early when nothing changed, else write and publish
    a new generation."""
    prev_gen, prev_manifest = _previous(index_dir, model_id, rebuild, report)
    fingerprint = corpus_fingerprint(corpus_dir) if corpus_dir.is_dir() else {}
    if prev_gen is not None and prev_manifest.data.get("corpus_files") == fingerprint:
        _report_unchanged(report, prev_gen, prev_manifest)
        report.skipped = [tuple(item) for item in prev_manifest.data.get("skipped", [])]
        return
    corpus = load_corpus(corpus_dir)
    old_hashes = prev_manifest.article_hashes if prev_manifest else {}
    new_hashes = _compare(report, corpus, old_hashes)
    aliases = read_alias_file(corpus_dir)
    aliases_hash = _aliases_hash(corpus_dir)
    report.aliases_changed = prev_manifest is not None and (
        prev_manifest.data.get("aliases_hash") != aliases_hash
    )
    if prev_gen is not None and not report.wrote_new_generation:
        _remember_fingerprint(prev_gen, prev_manifest, fingerprint, corpus)
        _report_unchanged(report, prev_gen, prev_manifest, articles=False)
        return
    if not corpus.articles:
        raise VendorcheckError(f"no readable articles in {corpus_dir}; nothing to index")
    reused = _reuse(prev_gen, prev_manifest, report)
    kept = {a: v for a, v in reused.items() if old_hashes.get(a) == new_hashes.get(a)}
    passages = passages_for(
        corpus.articles,
        kept,
        new_hashes,
        embedder_factory,
        prev_manifest.dim if prev_manifest else 0,
        batch_size=batch_size,
        progress=progress,
    )
    report.embedded_passages = passages.embedded
    report.passages = len(passages.rows)
    previous = _previous_sentences(prev_gen, prev_manifest, set(kept), passages)
    report.generation = _publish(
        index_dir, corpus, passages, model_id, fingerprint, aliases, aliases_hash, previous
    )
    collect_garbage(index_dir)


def _previous_sentences(
    generation: Path | None, manifest: Manifest | None, kept: set[str], passages: Passages
) -> tuple[SentenceTable, list[int | None]] | None:
    """The live generation's sentence table and, per new row, its row there when the article
    is unchanged (its passages are the same texts): those rows are copied, not segmented
    again. None when there is nothing to copy (or the old table is missing or unreadable)."""
    if generation is None or manifest is None or not kept:
        return None
    try:
        table = SentenceTable.load(generation / SENTENCES, manifest.data["counts"]["passages"])
    except (IndexCorruptError, KeyError, TypeError):
        return None
    if table is None:
        return None
    same_as: list[int | None] = [None] * len(passages.rows)
    for aid in kept:
        old, new = manifest.data["articles"][aid], passages.article_meta[aid]
        for i in range(int(new["passages"])):
            same_as[int(new["first_passage"]) + i] = int(old["first_passage"]) + i
    return table, same_as


def _publish(
    index_dir: Path,
    corpus: CorpusLoad,
    passages: Passages,
    model_id: str,
    fingerprint: dict[str, str],
    aliases: dict[str, list[str]],
    aliases_hash: str,
    previous: tuple[SentenceTable, list[int | None]] | None = None,
) -> str:
    """Write the new generation beside the live one, then switch to it; its name."""
    tmp = new_generation_dir(index_dir)
    try:
        write_generation(
            tmp,
            corpus.articles,
            passages.rows,
            passages.vectors,
            model_id,
            passages.article_meta,
            corpus_files=fingerprint,
            skipped=corpus.skipped,
            sentences_from=previous,
        )
        write_vendor_data(
            tmp, corpus.articles, passages.rows, passages.vectors, aliases, aliases_hash
        )
        return publish_generation(index_dir, tmp).name
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise


def _aliases_hash(corpus_dir: Path) -> str:
    """The alias file's text, with the vendor data and BM25 tokenizer versions hashed in too,
    so editing corpus/vendors.yml, new extraction rules or a new tokenizer produce a new
    generation (vectors are reused; BM25 and vendor data are rebuilt)."""
    text = f"{VENDOR_DATA_VERSION}\n{TERMS_VERSION}\n{alias_file_text(corpus_dir)}"
    return hashlib.sha256(text.encode()).hexdigest()


def _report_unchanged(
    report: BuildReport, generation: Path, manifest: Manifest, articles: bool = True
) -> None:
    """Nothing to write: the live generation's counts (and, without a corpus load, its article
    count too) go into the report."""
    counts = manifest.data.get("counts", {})
    if articles:
        report.articles = report.unchanged = int(counts.get("articles", 0))
    report.passages = int(counts.get("passages", 0))
    report.generation = generation.name


def _compare(report: BuildReport, corpus: CorpusLoad, old_hashes: dict[str, str]) -> dict[str, str]:
    """Which articles were added, changed or removed since the live generation; their hashes."""
    report.skipped = corpus.skipped
    new_hashes = {a.id: a.content_hash() for a in corpus.articles}
    report.added = sorted(aid for aid in new_hashes if aid not in old_hashes)
    report.changed = sorted(
        aid for aid, h in new_hashes.items() if aid in old_hashes and old_hashes[aid] != h
    )
    report.removed = sorted(aid for aid in old_hashes if aid not in new_hashes)
    report.unchanged = len(new_hashes) - len(report.added) - len(report.changed)
    report.articles = len(corpus.articles)
    return new_hashes


def _remember_fingerprint(
    generation: Path, manifest: Manifest, fingerprint: dict[str, str], corpus: CorpusLoad
) -> None:
    """Same articles, files touched (or first run with this version): remember the new
    fingerprint so the next no-op takes the fast path."""
    if manifest.data.get("corpus_files") != fingerprint:
        manifest.data["corpus_files"] = fingerprint
        manifest.data["skipped"] = [list(item) for item in corpus.skipped]
        atomic_write_text(generation / MANIFEST, json.dumps(manifest.data, indent=1))


def _reuse(generation: Path | None, manifest: Manifest | None, report: BuildReport) -> Reused:
    """The previous generation's passages and vectors, checked before they are copied."""
    if generation is None:
        return {}
    try:
        for rel in (PASSAGES, EMBEDDINGS):  # about to be copied into the new index
            manifest.verify_hash(generation, rel)  # type: ignore[union-attr]
        return reusable_rows(generation, manifest)
    except IndexCorruptError as exc:
        report.notes.append(f"previous vectors unusable, re-embedding everything: {exc}")
        return {}
