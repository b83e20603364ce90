"""The fast paths give the same answers: ONNX vs torch embeddings, the dense index chosen by
size keeps recall, and the query tokenizer matches bm25s exactly."""

from __future__ import annotations

import json

import bm25s
import faiss
import numpy as np
import pytest

from index.embed.model import model_id_for
from index.embed.onnx_embedder import OnnxEmbedder
from index.embed.torch_embedder import TorchEmbedder
from index.search.retriever import Retriever
from index.store import dense
from index.store.builder import build_index
from index.store.generations import MANIFEST, current_generation
from index.store.reader import open_index
from index.text.terms import TOKEN_PATTERN, stemmer, stems, tokenize

MODEL_ID = model_id_for("all-MiniLM-L6-v2")
TEXTS = [
    "is Kaspersky allowed on GSA?",
    "Quillon antivirus was removed from the GSA Schedule after the DHS directive.",
    "Norvel routers: firmware 7.4.2 fixes a remote code execution flaw in the admin page.",
    "x",
    "A very long passage about procurement. " * 60,  # past the 256-token limit: truncated
    "Zentara cameras banned by the FCC; existing equipment must be replaced by 2021.",
]
QUESTIONS = [
    "is Quillon allowed on GSA?",
    "which firmware fixes the Norvel router flaw?",
    "FCC ban on Zentara cameras",
    # naming no vendor: corpus-wide search (FAISS and BM25), not a vendor's own rows
    "which firmware fixes the router flaw?",
    "which agency ordered antivirus software removed from federal networks?",
]


@pytest.fixture(scope="module")
def torch_embedder():
    return TorchEmbedder("all-MiniLM-L6-v2")


def test_onnx_matches_sentence_transformers(embedder, torch_embedder):
    fast, reference = embedder.embed(TEXTS), torch_embedder.embed(TEXTS)
    cosine = np.sum(fast * reference, axis=1)
    assert cosine.min() >= 0.999, cosine
    # One query (the single-thread session) and a batch (the multi-thread one) agree too.
    one = embedder.embed([TEXTS[0]])[0]
    assert float(one @ reference[0]) >= 0.999


def test_onnx_and_torch_give_the_same_top_results(
    fixture_corpus, tmp_path, embedder, torch_embedder
):
    index_dir = tmp_path / "index"
    build_index(fixture_corpus, index_dir, MODEL_ID, lambda: embedder)
    stored = open_index(index_dir, MODEL_ID)
    for question in QUESTIONS:
        fast = Retriever(stored, embedder).ask(question, k=3)
        reference = Retriever(stored, torch_embedder).ask(question, k=3)
        assert fast.results, question
        assert [(r.article.id, r.start) for r in fast.results] == [
            (r.article.id, r.start) for r in reference.results
        ], question


def test_int8_variant_stays_close_to_fp32(embedder):
    int8 = OnnxEmbedder(embedder.model_path.parent, variant="int8")
    assert int8.model_path.name == "model.int8.onnx" and int8.model_path.exists()
    cosine = np.sum(int8.embed(TEXTS) * embedder.embed(TEXTS), axis=1)
    assert cosine.min() >= 0.97, cosine


def _clustered(n: int, dim: int = 64, centers: int = 40, seed: int = 0) -> np.ndarray:
    rng = np.random.default_rng(seed)
    middle = rng.standard_normal((centers, dim)).astype(np.float32)
    points = middle[rng.integers(0, centers, n)] + 0.6 * rng.standard_normal((n, dim)).astype(
        np.float32
    )
    return points / np.linalg.norm(points, axis=1, keepdims=True)


def _recall(index, data: np.ndarray, queries: np.ndarray) -> float:
    exact = faiss.IndexFlatIP(data.shape[1])
    exact.add(data)
    _, truth = exact.search(queries, 10)
    return dense.recall_at_10(index, truth, queries)


@pytest.mark.parametrize(
    ("thresholds", "kind"),
    [
        ({"flat_max": 10_000}, "flat"),
        ({"flat_max": 500}, "ivf_flat"),
        ({"flat_max": 500, "memory_budget": 0}, "ivf_sq8"),
    ],
)
def test_dense_index_choice_keeps_recall(tmp_path, thresholds, kind):
    points = _clustered(4_200)
    data, fresh_queries = points[:4_000], points[4_000:]  # held out: not indexed, not tuned on
    index, spec = dense.build_dense(data, recall_queries=100, **thresholds)
    assert spec.kind == kind
    path = tmp_path / "dense.faiss"
    dense.save_dense(index, path)
    np.save(tmp_path / "embeddings.npy", data)  # as every generation stores it (SQ8 re-rank)
    loaded = dense.load_dense(path, spec.to_dict())
    assert _recall(loaded, data, fresh_queries) >= 0.98
    if kind != "flat":
        assert spec.params["recall_at_10"] >= 0.98
        assert faiss.extract_index_ivf(dense.unwrap(loaded)).nprobe == spec.params["nprobe"]
        assert spec.params["nlist"] == dense.nlist_for(len(data))
    # Lexical-only hits need stored vectors back (exact: SQ8 reads them from embeddings.npy).
    back = loaded.reconstruct_batch(np.array([1999, 3]))
    assert np.allclose(back, data[[1999, 3]], atol=1e-6)


def test_builder_records_the_dense_choice_in_the_manifest(
    fixture_corpus, tmp_path, embedder, monkeypatch
):
    monkeypatch.setattr(dense, "FLAT_MAX_PASSAGES", 5)
    index_dir = tmp_path / "index"
    build_index(fixture_corpus, index_dir, MODEL_ID, lambda: embedder)
    manifest = json.loads((current_generation(index_dir) / MANIFEST).read_text())
    assert manifest["dense"]["kind"] == "ivf_flat"
    assert manifest["dense"]["params"]["recall_at_10"] >= 0.98
    stored = open_index(index_dir, MODEL_ID)
    assert (
        faiss.extract_index_ivf(dense.unwrap(stored.dense)).nprobe
        == (manifest["dense"]["params"]["nprobe"])
    )
    # A question naming no vendor is answered through the IVF index (`search_dense`).
    retriever = Retriever(stored, embedder)
    question = "which firmware fixes the router flaw?"
    plan = retriever.planner.plan(question)
    assert not plan.vendors and not plan.names
    query = retriever.search.embed(question)
    ids, scores = dense.search_dense(stored.dense, query, 5)
    vectors = np.asarray(stored.vectors)
    assert len(ids) == 5
    assert ids.tolist() == np.argsort(-(vectors @ query), kind="stable")[:5].tolist()
    np.testing.assert_allclose(scores, vectors[ids] @ query, rtol=0, atol=1e-5)
    answer = retriever.ask(question)
    assert answer.results and "7.4.2" in answer.results[0].quote


def test_query_tokenizer_matches_bm25s():
    texts = [*TEXTS, "", "The AND of", "GSA 17-01 889 a 1 x", "Naïve café’s résumés, 2024!"]
    expected = bm25s.tokenize(
        texts,
        token_pattern=TOKEN_PATTERN,
        stopwords="en",
        stemmer=stemmer(),
        return_ids=False,
        show_progress=False,
    )
    assert tokenize(texts) == expected
    assert [stems(text) for text in texts] == expected  # the query side's cached copy


def test_lexical_top_k_matches_bm25s_retrieve():
    """The query path's BM25 top-k (bm25s scores, then scoring.top_n) is bm25s's `retrieve`."""
    from index.search.scoring import top_n
    from index.store.lexical import LexicalIndex

    texts = [f"vendor {i % 7} federal schedule ban {'gsa ' * (i % 3)}word{i}" for i in range(300)]
    lexical = LexicalIndex.build(texts)
    for query in ["gsa schedule", "vendor 3 ban", "word17", "federal"]:
        tokens = [t for t in tokenize([query])[0] if t in lexical.vocab]
        all_scores = lexical.retriever.get_scores(tokens)
        ids = top_n(all_scores, 20)
        scores = all_scores[ids]
        docs, ref = lexical.retriever.retrieve([tokens], k=20, show_progress=False, n_threads=0)
        keep = ref[0] > 0
        assert np.allclose(scores, np.sort(ref[0][keep])[::-1])
        # Same passages, except where equal scores straddle the k-th place.
        cutoff = scores.min() if len(scores) else 0
        assert set(ids[scores > cutoff]) == set(docs[0][keep][ref[0][keep] > cutoff])
