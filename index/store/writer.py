"""The files of one new generation: articles, passages, vectors, FAISS, BM25, each passage's
sentences and their terms, vendor data and the manifest that lists them (`generations.py` has the layout; `builder.py` decides what goes in)."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from index.articles import Article
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
    now_iso,
)
from index.store.lexical import LexicalIndex
from index.store.passages import CHUNKING
from index.store.sentences import SENTENCES, SentenceTable
from index.text.chunking import embedding_input
from index.text.identifiers import identifier_rows
from index.vendors.extract import build_vendor_data
from index.vendors.registry import VENDORS_FILE


def write_generation(
    directory: Path,
    articles: list[Article],
    rows: list[tuple[int, int, int]],
    vectors: np.ndarray,
    model_id: str,
    article_meta: dict[str, dict],
    corpus_files: dict[str, str] | None = None,
    skipped: list[tuple[str, str]] | None = None,
    sentences_from: tuple[SentenceTable, list[int | None]] | None = None,
) -> None:
    """`sentences_from`: the previous generation's sentence table and, per row, the row there
    holding the same passage (None: a new one), so unchanged articles' sentences are copied."""
    with open(directory / ARTICLES, "w", encoding="utf-8") as handle:
        for article in articles:
            handle.write(json.dumps(article.to_record(), ensure_ascii=False) + "\n")
    passages = np.asarray(rows, dtype=np.int32).reshape(-1, 3)
    np.save(directory / PASSAGES, passages)
    np.save(directory / EMBEDDINGS, vectors)
    dense, spec = build_dense(vectors)
    save_dense(dense, directory / DENSE)
    quotes = [articles[a].text[s:e] for a, s, e in rows]
    lexical_texts = [
        embedding_input(articles[a].title, q) for (a, _, _), q in zip(rows, quotes, strict=True)
    ]
    LexicalIndex.build(lexical_texts).save(directory / LEXICAL)
    previous, same_as = sentences_from or (None, [])
    SentenceTable.build(quotes, previous, same_as).save(directory / SENTENCES)
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


def write_vendor_data(
    directory: Path,
    articles: list[Article],
    rows: list[tuple[int, int, int]],
    vectors: np.ndarray,
    aliases: dict[str, list[str]],
    aliases_hash: str,
) -> None:
    """vendors.json: who each article is about, who each passage names, near-duplicates, which
    passages cite which rule or case numbers.

    Rebuilt in full every build (text scanning only, no model), so it always matches the
    generation it sits in; the alias file's hash goes into the manifest so that editing
    corpus/vendors.yml alone also produces a new generation.
    """
    data = build_vendor_data(articles, rows, aliases)
    data["identifiers"] = identifier_rows(articles, rows)
    data["duplicates"] = find_duplicates(
        articles, np.asarray(rows, dtype=np.int64).reshape(-1, 3), vectors
    )
    (directory / VENDORS_FILE).write_text(json.dumps(data, ensure_ascii=False), encoding="utf-8")
    manifest_path = directory / MANIFEST
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    manifest["aliases_hash"] = aliases_hash
    manifest_path.write_text(json.dumps(manifest, indent=1), encoding="utf-8")
