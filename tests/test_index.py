"""The on-disk index: incremental updates, traceable quotes, crash safety, one-line errors."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from conftest import REPO, run_cli

from index.embed.model import model_id_for
from index.errors import IndexIncompatibleError, IndexMissingError
from index.search.retriever import Retriever
from index.store.builder import build_index
from index.store.reader import open_index

MODEL_ID = model_id_for("all-MiniLM-L6-v2")


class CountingEmbedder:
    """The real embedder, counting how many texts it is asked to embed."""

    def __init__(self, inner) -> None:
        self.inner = inner
        self.model_id, self.dim, self.max_tokens = inner.model_id, inner.dim, inner.max_tokens
        self.embedded: list[str] = []

    def embed(self, texts, batch_size=32, progress=False):
        self.embedded.extend(texts)
        return self.inner.embed(texts, batch_size=batch_size, progress=progress)

    def count_tokens(self, texts):
        return self.inner.count_tokens(texts)


def build(corpus: Path, index_dir: Path, counter: CountingEmbedder, **kw):
    return build_index(corpus, index_dir, MODEL_ID, lambda: counter, **kw)


def test_incremental_update_embeds_only_what_changed(fixture_corpus, tmp_path, embedder):
    index_dir = tmp_path / "index"
    counter = CountingEmbedder(embedder)
    first = build(fixture_corpus, index_dir, counter)
    assert len(first.added) == 7 and first.embedded_passages == len(counter.embedded) > 0
    assert {s for s, _ in first.skipped} >= {"broken-front-matter.md", "broken-bytes.txt"}

    counter.embedded.clear()
    noop = build(fixture_corpus, index_dir, counter)
    assert counter.embedded == [] and noop.embedded_passages == 0
    assert noop.generation == first.generation  # nothing rewritten

    (fixture_corpus / "norvel-2023-01-10-router-flaw.md").write_text(
        (fixture_corpus / "norvel-2023-01-10-router-flaw.md")
        .read_text()
        .replace("firmware 7.4.2", "firmware 7.4.3")
    )
    (fixture_corpus / "zentara-2020-11-05-fcc-ban.txt").unlink()
    (fixture_corpus / "new-vendor.md").write_text(
        "---\ntitle: Velloria Cloud Fined\npublisher: Test Desk\npublished: 2024-05-05\n---\n\n"
        "Velloria Cloud was fined for storing customer backups in an unapproved region.\n"
    )
    update = build(fixture_corpus, index_dir, counter)
    assert update.changed == ["norvel-2023-01-10-router-flaw"]
    assert update.removed == ["zentara-2020-11-05-fcc-ban"]
    assert update.added == ["new-vendor"]
    assert all("Norvel Routers" in t or "Velloria" in t for t in counter.embedded)
    assert update.embedded_passages == len(counter.embedded)

    stored = open_index(index_dir, MODEL_ID)
    assert "zentara-2020-11-05-fcc-ban" not in {a.id for a in stored.articles}
    answer = Retriever(stored, embedder).ask("which firmware fixes the Norvel router flaw?")
    assert any("7.4.3" in r.quote for r in answer.results)


def test_no_op_update_does_not_even_load_the_model(fixture_corpus, tmp_path, embedder):
    index_dir = tmp_path / "index"
    build(fixture_corpus, index_dir, CountingEmbedder(embedder))

    def must_not_load():
        raise AssertionError("the model was loaded for a no-op update")

    report = build_index(fixture_corpus, index_dir, MODEL_ID, must_not_load)
    assert report.embedded_passages == 0 and not report.wrote_new_generation


def test_every_quote_traces_back_to_its_article(fixture_corpus, tmp_path, embedder):
    index_dir = tmp_path / "index"
    build(fixture_corpus, index_dir, CountingEmbedder(embedder))
    stored = open_index(index_dir, MODEL_ID)
    texts = {a.id: a.text for a in stored.articles}
    retriever = Retriever(stored, embedder)
    highlighted = 0
    for question in ["Quillon GSA schedule", "router firmware", "section 889 cameras", "payroll"]:
        results = retriever.ask(question, k=10).results
        assert results, question
        for result in results:
            assert texts[result.article.id][result.start : result.end] == result.quote
            for start, end in result.highlights:
                assert 0 <= start < end <= len(result.quote)
            highlighted += bool(result.highlights)
    assert highlighted  # the highlight check above checked something


def test_wrong_model_and_missing_index_give_one_line_errors(
    fixture_corpus, tmp_path, embedder, config_for
):
    with pytest.raises(IndexMissingError, match="vendorcheck index"):
        open_index(tmp_path / "nothing-here", MODEL_ID)
    index_dir = tmp_path / "index"
    build(fixture_corpus, index_dir, CountingEmbedder(embedder))
    with pytest.raises(IndexIncompatibleError) as err:
        open_index(index_dir, "some-org/another-model")
    assert "--rebuild" in str(err.value) and "\n" not in str(err.value)

    config = config_for(fixture_corpus, index_dir)
    result = run_cli(config, "ask", "norvel", VENDORCHECK_MODEL="some-org/another-model")
    assert result.returncode == 1
    assert result.stderr.count("\n") == 1 and "vendorcheck index --rebuild" in result.stderr
    missing = run_cli(config, "ask", "norvel", VENDORCHECK_INDEX_DIR=str(tmp_path / "none"))
    assert missing.returncode == 1 and missing.stderr.count("\n") == 1
    assert "vendorcheck index" in missing.stderr and "Traceback" not in missing.stderr


def test_readme_sample_question_quotes_the_gsa_passage(tmp_path, config_for):
    corpus = tmp_path / "corpus"
    shutil.copytree(REPO / "corpus", corpus)
    config = config_for(corpus)
    assert run_cli(config, "index").returncode == 0
    result = run_cli(config, "ask", "--json", "is Kaspersky allowed on GSA?")
    data = json.loads(result.stdout)
    top = data["results"][0]
    assert "considering removing Kaspersky from the GSA Schedule" in top["quote"]
    assert top["article"]["publisher"] == "CRN"
    assert top["article"]["published"] == "2017-07-11"
    assert top["article"]["url"].startswith("https://www.crn.com/news/security/300088541/")
    text = run_cli(config, "ask", "is Kaspersky allowed on GSA?").stdout
    assert "**According to an ABC report" in text and "CRN · 2017-07-11" in text
