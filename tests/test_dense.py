"""The 8-bit (IVF-SQ8) dense index re-ranks its candidates exactly against the stored vectors.

Small synthetic sets with the size thresholds lowered through parameters, so the approximate
kinds are exercised in a second; no timings here (those are in benchmarks/).
"""

from __future__ import annotations

import json

import faiss
import numpy as np
import pytest

from index.errors import VendorcheckError
from index.search.retriever import Retriever
from index.store import dense
from index.store.builder import build_index
from index.store.generations import EMBEDDINGS, MANIFEST, current_generation
from index.store.reader import open_index

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


def test_builder_records_refine_and_store_serves_it(
    fixture_corpus, tmp_path, embedder, monkeypatch
):
    monkeypatch.setattr(dense, "FLAT_MAX_PASSAGES", 5)
    monkeypatch.setattr(dense, "MEMORY_BUDGET_BYTES", 0)
    index_dir = tmp_path / "index"
    build_index(fixture_corpus, index_dir, MODEL_ID, lambda: embedder)
    generation = current_generation(index_dir)
    manifest = json.loads((generation / MANIFEST).read_text())
    assert manifest["dense"]["kind"] == "ivf_sq8"
    assert manifest["dense"]["params"]["refine_factor"] == dense.REFINE_FACTOR
    stored = open_index(index_dir, MODEL_ID)
    assert isinstance(stored.dense, dense.RefinedIndex)
    answer = Retriever(stored, embedder).ask("which firmware fixes the Norvel router flaw?")
    assert any("7.4.2" in r.quote for r in answer.results)
    # Without the vectors it re-ranks against, the index is reported, in one line, as broken.
    (generation / EMBEDDINGS).unlink()
    with pytest.raises(VendorcheckError) as caught:
        open_index(index_dir, MODEL_ID)
    assert "\n" not in str(caught.value)
