"""Each passage's sentences and their terms, stored with the generation (`store/sentences.py`):
the same as working them out from the quote, after a full build and an incremental one, and an
index written without them (an older one) still answers, with the same answers."""

from __future__ import annotations

import gc
import json
import shutil
import weakref
from pathlib import Path

import numpy as np
import pytest

from index.embed.model import model_id_for
from index.errors import IndexCorruptError
from index.search.retriever import Retriever
from index.store.builder import build_index
from index.store.generations import MANIFEST, current_generation
from index.store.reader import open_index
from index.store.sentences import SENTENCES, SentenceTable
from index.text import highlight
from index.text.chunking import sentences

MODEL_ID = model_id_for("all-MiniLM-L6-v2")
FIXTURES = Path(__file__).resolve().parent / "fixtures"
QUESTIONS = [
    "Quillon GSA schedule",
    "router firmware flaw",
    "section 889 cameras",
    "is Zentara banned by the FCC?",
    "quillon",
    "what did DHS direct agencies to do",
]
EDGE_QUOTES = [  # word runs across a sentence edge, case changes that change lengths, digits
    "Kaspersky said it works with governments. The FSB denied it; GSA removed it in 2019.",
    "Word.Next sentence runs into the first. İstanbul lower-cases longer. Ünïcode 3 ٣ ok.",
    "A b c 5 x_y D.C. and U.S. firms: 52.204-25, M-23-13. ZTE; networks, networking.",
    "One sentence only, no full stop",
]


def lazily(quote: str) -> highlight.SentenceTerms:
    return highlight.sentence_terms.__wrapped__(quote)  # type: ignore[attr-defined]


def quotes_of(stored) -> list[str]:  # type: ignore[no-untyped-def]
    return [stored.articles[a].text[s:e] for a, s, e in stored.passages.tolist()]


def answers(stored, embedder) -> list[dict]:  # type: ignore[no-untyped-def]
    retriever = Retriever(stored, embedder)
    return [retriever.ask(q).to_json() for q in QUESTIONS]


@pytest.fixture(scope="module")
def built(tmp_path_factory, embedder):  # type: ignore[no-untyped-def]
    root = tmp_path_factory.mktemp("sentences")
    corpus = root / "corpus"
    shutil.copytree(FIXTURES / "corpus", corpus)
    build_index(corpus, root / "index", MODEL_ID, lambda: embedder)
    return corpus, root / "index"


def test_the_table_is_what_the_quote_gives_on_every_passage_and_edge_case(built):
    stored = open_index(built[1], MODEL_ID)
    assert stored.sentences is not None and stored.sentences.size == stored.size > 0
    quotes = quotes_of(stored)
    for row, quote in enumerate(quotes):
        assert stored.sentences.of(row) == lazily(quote), quote
    table = SentenceTable.build(EDGE_QUOTES)
    for row, quote in enumerate(EDGE_QUOTES):
        spans, terms = table.of(row)
        assert spans and (spans, terms) == lazily(quote), quote


def test_answers_with_the_table_are_the_answers_without_it(built, embedder):
    stored = open_index(built[1], MODEL_ID)
    with_table = answers(stored, embedder)
    assert sum(len(a["results"]) for a in with_table) > 10
    assert any(r["highlights"] for a in with_table for r in a["results"])
    stored.sentences = None  # as an index written before the table, or the engine store
    assert answers(stored, embedder) == with_table


def test_an_incremental_build_writes_the_table_of_the_new_passages_too(
    built, embedder, tmp_path, monkeypatch
):
    """Unchanged articles' rows are copied from the previous table (only the new article's
    passages are segmented), and the whole new table is still what the quotes give."""
    import index.store.sentences as table_module

    segmented: list[str] = []

    def counting(text, within=None):  # type: ignore[no-untyped-def]
        segmented.append(text)
        return sentences(text, within)

    corpus, index_dir = tmp_path / "corpus", tmp_path / "index"
    shutil.copytree(built[0], corpus)
    shutil.copytree(built[1], index_dir)
    before = open_index(index_dir, MODEL_ID).size
    (corpus / "new-article.md").write_text(
        "---\ntitle: Orbixtel routers removed\npublisher: Example Wire\n"
        "published: 2024-02-02\nurl: https://example.com/orbixtel\n---\n\n"
        "The agency removed Orbixtel routers from its networks. Officials cited firmware "
        "flaws.\n\nOrbixtel said it would appeal. The rule takes effect in March.\n",
        encoding="utf-8",
    )
    monkeypatch.setattr(table_module, "sentences", counting)
    report = build_index(corpus, index_dir, MODEL_ID, lambda: embedder)
    assert report.added == ["new-article"]
    stored = open_index(index_dir, MODEL_ID)
    assert stored.size > before and stored.sentences is not None
    assert len(segmented) == stored.size - before  # the new article's passages, no others'
    assert all("Orbixtel" in text or "March" in text for text in segmented)
    for row, quote in enumerate(quotes_of(stored)):
        assert stored.sentences.of(row) == lazily(quote), quote
    answer = Retriever(stored, embedder).ask("were Orbixtel routers removed?")
    assert answer.results and answer.results[0].highlights


def without_table(index_dir: Path) -> None:
    """Make the live generation look like one written before tables existed."""
    generation = current_generation(index_dir)
    assert generation is not None
    shutil.rmtree(generation / SENTENCES)
    manifest = json.loads((generation / MANIFEST).read_text())
    manifest["files"] = {
        rel: meta for rel, meta in manifest["files"].items() if not rel.startswith(SENTENCES)
    }
    (generation / MANIFEST).write_text(json.dumps(manifest))


def test_an_index_without_the_table_still_answers_the_same(built, embedder, tmp_path):
    expected = answers(open_index(built[1], MODEL_ID), embedder)
    index_dir = tmp_path / "index"
    shutil.copytree(built[1], index_dir)
    without_table(index_dir)
    stored = open_index(index_dir, MODEL_ID)
    assert stored.sentences is None
    assert answers(stored, embedder) == expected


def test_a_table_that_does_not_fit_the_passages_is_a_one_line_error(built, tmp_path):
    index_dir = tmp_path / "index"
    shutil.copytree(built[1], index_dir)
    table = current_generation(index_dir) / SENTENCES  # type: ignore[operator]
    rows = np.load(table / "rows.npy")
    np.save(table / "rows.npy", rows[:-1])  # one passage short
    with pytest.raises(IndexCorruptError) as caught:
        SentenceTable.load(table, len(rows) - 1)
    assert "\n" not in str(caught.value) and "--rebuild" in str(caught.value)


def test_a_retriever_freezes_what_it_loaded_and_dropping_it_frees_it_without_the_collector(
    built, embedder
):
    """`Retriever` takes the loaded index out of the cyclic collector's sight (`gc.freeze`);
    that is safe only while nothing it holds is in a reference cycle: a hot swap drops the
    old retriever, which reference counting alone must free (else it stays, frozen)."""
    gc.unfreeze()
    assert gc.get_freeze_count() == 0
    stored = open_index(built[1], MODEL_ID)
    retriever = Retriever(stored, embedder)
    assert gc.get_freeze_count() > 0
    assert answers(stored, embedder)[0]["results"]
    retriever.ask("quillon")  # its own caches filled too
    alive = [weakref.ref(o) for o in (stored, stored.sentences, retriever.search, retriever)]
    gc.disable()
    try:
        del stored, retriever
        assert [ref() for ref in alive] == [None] * len(alive)
    finally:
        gc.enable()
