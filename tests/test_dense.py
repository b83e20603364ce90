"""The 8-bit (IVF-SQ8) dense index re-ranks its candidates exactly against the stored vectors.

Small synthetic sets with the size thresholds lowered through parameters, so the approximate
kinds are exercised in a second; no timings here (those are in benchmarks/).
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import faiss
import numpy as np
import pytest

from index.errors import VendorcheckError
from index.search.retriever import Retriever
from index.store import dense
from index.store.builder import build_index
from index.store.generations import EMBEDDINGS, MANIFEST, current_generation
from index.store.reader import open_index

FIXTURES = Path(__file__).resolve().parent / "fixtures"
MODEL_ID = "sentence-transformers/all-MiniLM-L6-v2"
SQ8 = {"flat_max": 0, "memory_budget": 0}


def _near_ties(n: int, dim: int = 48, centers: int = 30, seed: int = 0) -> np.ndarray:
    """Tight clusters: neighbours a few hundredths of cosine apart, where 8-bit codes misorder."""
    rng = np.random.default_rng(seed)
    middle = rng.standard_normal((centers, dim)).astype(np.float32)
    noise = 0.35 * rng.standard_normal((n, dim)).astype(np.float32)
    points = middle[rng.integers(0, centers, n)] + noise
    return points / np.linalg.norm(points, axis=1, keepdims=True)


def _truth(data: np.ndarray, queries: np.ndarray, k: int = 10) -> np.ndarray:
    flat = faiss.IndexFlatIP(data.shape[1])
    flat.add(data)
    return flat.search(queries, k)[1]


@pytest.fixture(scope="module")
def sq8(tmp_path_factory):
    points = _near_ties(6_300)
    data, held_out = points[:6_000], points[6_000:]  # queries: never indexed, never tuned on
    index, spec = dense.build_dense(data, recall_queries=100, **SQ8)
    directory = tmp_path_factory.mktemp("sq8")
    dense.save_dense(index, directory / "dense.faiss")
    np.save(directory / "embeddings.npy", data)
    loaded = dense.load_dense(directory / "dense.faiss", spec.to_dict())
    return data, held_out, spec, loaded


def test_refined_sq8_keeps_recall_against_exact_search(sq8):
    data, queries, spec, loaded = sq8
    assert spec.kind == "ivf_sq8"
    assert spec.params["refine_factor"] == dense.REFINE_FACTOR
    assert spec.params["recall_at_10"] >= 0.98 and spec.params["recall_probe"] == "pseudo"
    assert isinstance(loaded, dense.RefinedIndex)
    truth = _truth(data, queries)
    assert dense.recall_at_10(loaded, truth, queries) >= 0.98
    # The re-rank is what gets there: the bare 8-bit codes at the same nprobe do worse here.
    assert dense.recall_at_10(loaded.index, truth, queries) < dense.recall_at_10(
        loaded, truth, queries
    )


def test_refined_sq8_returns_exact_cosines_best_first(sq8):
    data, queries, _, loaded = sq8
    for query in queries[:20]:
        ids, scores = dense.search_dense(loaded, query, 10)
        assert len(ids) == 10 and len(set(ids.tolist())) == 10
        np.testing.assert_allclose(scores, data[ids] @ query, rtol=0, atol=1e-6)
        assert np.all(np.diff(scores) <= 0)
    rows = np.array([5_999, 0, 17])
    np.testing.assert_array_equal(loaded.reconstruct_batch(rows), data[rows])


def test_probe_queries_can_be_given(sq8):
    data, queries, _, _ = sq8
    _, spec = dense.build_dense(data, probe_queries=queries, **SQ8)
    assert spec.params["recall_probe"] == "given"
    assert spec.params["recall_queries"] == len(queries)
    assert spec.params["recall_at_10"] >= 0.98


# Questions that name no vendor: answered by corpus-wide search (FAISS through `search_dense`,
# plus BM25), never from a vendor's own rows.
CORPUS_WIDE = [
    ("which firmware fixes the router flaw?", "norvel-2023-01-10-router-flaw"),
    (
        "which agency ordered antivirus software removed from federal networks?",
        "quillon-2021-03-02-dhs-directive",
    ),
    (
        "which government body told departments to uninstall the scanner within three months?",
        "quillon-2021-03-02-dhs-directive",
    ),
]
TOWNS = ["Aldmoor", "Brisk", "Cadwell", "Dunmere", "Eastvale", "Fenwick", "Glenrock", "Harlow"]
WORKS = ["a new library", "road repairs", "a harbour wall", "school meals", "street lighting"]


def _with_filler(corpus: Path, count: int = 200) -> Path:
    """The fixture corpus plus `count` one-passage council notes: enough passages for several
    inverted lists, so a search that probes too few of them misses."""
    for i in range(count):
        town, work = TOWNS[i % len(TOWNS)], WORKS[(i * 7) % len(WORKS)]
        text = (
            f"The {town} town council voted on {work} in {1990 + i % 30}, after {2 + i % 37} "
            f"residents spoke at the meeting about {WORKS[(i * 3) % len(WORKS)]}."
        )
        (corpus / f"filler-{i:03d}.md").write_text(
            f'---\ntitle: "{town} council notes {i}"\npublisher: Town Gazette\n'
            f"published: 2020-01-{1 + i % 28:02d}\n---\n\n{text}\n",
            encoding="utf-8",
        )
    return corpus


@pytest.fixture(scope="module")
def sq8_store(tmp_path_factory, embedder):
    """A real generation built as ivf_sq8 (thresholds lowered), as the store serves it."""
    root = tmp_path_factory.mktemp("sq8-store")
    corpus = _with_filler(Path(shutil.copytree(FIXTURES / "corpus", root / "corpus")))
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(dense, "FLAT_MAX_PASSAGES", 5)
        patch.setattr(dense, "MEMORY_BUDGET_BYTES", 0)
        build_index(corpus, root / "index", MODEL_ID, lambda: embedder)
    return root / "index", open_index(root / "index", MODEL_ID)


def test_corpus_wide_questions_go_through_the_refined_ivf(sq8_store, embedder):
    """For questions naming no vendor, `search_dense` on the served ivf_sq8 index finds the
    exact top 10 (a broken IVF probe misses lists) with exact cosines, best first (a broken
    re-rank returns the 8-bit codes' scores), and the answer is the right passage."""
    index_dir, stored = sq8_store
    manifest = json.loads((current_generation(index_dir) / MANIFEST).read_text())
    assert manifest["dense"]["kind"] == "ivf_sq8"
    assert manifest["dense"]["params"]["nlist"] > 1
    assert isinstance(stored.dense, dense.RefinedIndex)
    retriever = Retriever(stored, embedder)
    vectors = np.asarray(stored.vectors)
    assert CORPUS_WIDE
    found = expected = 0
    for question, article in CORPUS_WIDE:
        plan = retriever.planner.plan(question)
        assert not plan.vendors and not plan.names, question  # corpus-wide by construction
        query = retriever.search.embed(plan.text)
        ids, scores = dense.search_dense(stored.dense, query, 10)
        assert len(ids) == 10, question
        exact = np.argsort(-(vectors @ query), kind="stable")[:10]
        found, expected = found + len(set(ids.tolist()) & set(exact.tolist())), expected + 10
        np.testing.assert_allclose(scores, vectors[ids] @ query, rtol=0, atol=1e-6)
        assert np.all(np.diff(scores) <= 0), question
        answer = retriever.ask(question, k=3)
        assert answer.kind == "answer" and answer.results, question
        assert answer.results[0].article.id == article, question
    assert found / expected >= 0.95


def test_store_serves_the_refine_and_reports_missing_vectors(sq8_store, tmp_path):
    index_dir, _ = sq8_store
    generation = current_generation(index_dir)
    manifest = json.loads((generation / MANIFEST).read_text())
    assert manifest["dense"]["params"]["refine_factor"] == dense.REFINE_FACTOR
    # Without the vectors it re-ranks against, the index is reported, in one line, as broken.
    copy = tmp_path / "index"
    shutil.copytree(index_dir, copy, symlinks=True)
    (current_generation(copy) / EMBEDDINGS).unlink()
    with pytest.raises(VendorcheckError) as caught:
        open_index(copy, MODEL_ID)
    assert "\n" not in str(caught.value)
