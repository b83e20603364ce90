"""A no-op re-index stops before parsing the corpus when no file changed, and only then."""

from __future__ import annotations

import json

from index.embed.model import model_id_for
from index.store.builder import build_index
from index.store.generations import MANIFEST, current_generation

MODEL_ID = model_id_for("all-MiniLM-L6-v2")


def test_unchanged_files_skip_parsing_but_report_the_same(
    fixture_corpus, tmp_path, embedder, monkeypatch
):
    index_dir = tmp_path / "index"
    first = build_index(fixture_corpus, index_dir, MODEL_ID, lambda: embedder)

    import index.store.builder

    def no_parsing(_corpus_dir):
        raise AssertionError("corpus parsed although no file changed")

    with monkeypatch.context() as patch:
        patch.setattr(index.store.builder, "load_corpus", no_parsing)
        again = build_index(fixture_corpus, index_dir, MODEL_ID, lambda: 1 / 0)
    assert again.generation == first.generation and not again.wrote_new_generation
    assert sorted(again.skipped) == sorted(first.skipped)  # broken files still named, with why
    assert (again.articles, again.passages, again.unchanged) == (
        first.articles,
        first.passages,
        first.articles,
    )

    # A new or changed non-article file takes the full comparison: here (a README) nothing to
    # re-embed, same generation, and the new fingerprint is remembered for the next run.
    (fixture_corpus / "README.md").write_text("Our team's vendor articles.\n")
    touched = build_index(fixture_corpus, index_dir, MODEL_ID, lambda: 1 / 0)
    assert touched.generation == first.generation and touched.embedded_passages == 0
    manifest = json.loads((current_generation(index_dir) / MANIFEST).read_text())
    assert "README.md" in manifest["corpus_files"]

    # The vendors list is data: changing it is noticed (new vendor data, still no embedding).
    (fixture_corpus / "vendors.yml").write_text("Quillon: [Quillon Antivirus]\n")
    aliases = build_index(fixture_corpus, index_dir, MODEL_ID, lambda: 1 / 0)
    assert aliases.aliases_changed and aliases.embedded_passages == 0

    # An edited article is noticed (content digests, not mtimes).
    path = fixture_corpus / "norvel-2023-01-10-router-flaw.md"
    path.write_text(path.read_text().replace("firmware 7.4.2", "firmware 7.4.3"))
    update = build_index(fixture_corpus, index_dir, MODEL_ID, lambda: embedder)
    assert update.changed == ["norvel-2023-01-10-router-flaw"]


def test_a_new_tokenizer_rebuilds_bm25_without_re_embedding(
    fixture_corpus, tmp_path, embedder, monkeypatch
):
    """An index built with other BM25 terms is not reused as it is: the query's terms must be
    the index's. The vectors are reused; the new generation is written without the model."""
    index_dir = tmp_path / "index"
    first = build_index(fixture_corpus, index_dir, MODEL_ID, lambda: embedder)
    import index.store.builder

    monkeypatch.setattr(index.store.builder, "TERMS_VERSION", 999)
    again = build_index(fixture_corpus, index_dir, MODEL_ID, lambda: 1 / 0)
    assert again.wrote_new_generation and again.generation != first.generation
    assert again.embedded_passages == 0
