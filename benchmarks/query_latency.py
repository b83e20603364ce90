"""Warm query latency by stage, beside the floor, at 1k/10k/100k passages (1M with --large).

    python -m benchmarks.query_latency                 # 1k, 10k, 100k
    python -m benchmarks.query_latency --large         # adds 1M (~15 min to build the first time)
    python -m benchmarks.query_latency --sizes 10k --queries 500

Per size, one warm process answers the same synthetic questions (benchmarks/synth.py) through
the real path, `Retriever.ask` + `render_answer`, with the embedder, the FAISS index and the
BM25 index wrapped in timers, so the stages are measured inside the real call:

* embed:   query embedding (ONNX Runtime, the serving backend)
* dense:   FAISS search (index kind chosen by size, see index/dense.py)
* lexical: BM25 search (bm25s)
* fusion+render: everything else in `ask` (fusion, per-article cap, key sentences) + rendering

The **floor**, in the same run on the same index: one bare `SentenceTransformer.encode` of the
query plus one bare FAISS `search` (k=50, what the retriever asks for), as the issue defines
it; and the stricter ONNX floor: our ONNX query embedding plus the bare FAISS search.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict

import numpy as np

from benchmarks.common import (
    label,
    load_average,
    parse_sizes,
    percentiles,
    print_table,
    write_json,
)
from benchmarks.synth import load_embedder, queries, synthetic_index

CANDIDATES = 50


class Timed:
    """Delegates everything to `inner`, timing one method into `sink`."""

    def __init__(self, inner, method: str, sink: list[float]) -> None:  # type: ignore[no-untyped-def]
        self._inner, self._method, self._sink = inner, method, sink

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        value = getattr(self._inner, name)
        if name != self._method:
            return value

        def timed(*args, **kwargs):  # type: ignore[no-untyped-def]
            started = time.perf_counter()
            try:
                return value(*args, **kwargs)
            finally:
                self._sink.append(time.perf_counter() - started)

        return timed


def run_size(n: int, questions: list[str], embedder, st_model, log=print) -> dict:  # type: ignore[no-untyped-def]
    from bot.cli.output import render_answer
    from index.embed.model import model_id_for
    from index.search.retriever import Retriever
    from index.store.reader import open_index

    index_dir = synthetic_index(n, embedder, log=log)
    stored = open_index(index_dir, model_id_for("all-MiniLM-L6-v2"), mmap=True)
    raw_dense, raw_lexical = stored.dense, stored.lexical
    sinks: dict[str, list[float]] = defaultdict(list)
    stored.dense = Timed(raw_dense, "search", sinks["dense"])
    stored.lexical = Timed(raw_lexical, "search", sinks["lexical"])
    retriever = Retriever(stored, Timed(embedder, "embed", sinks["embed"]))
    # The retriever scores BM25 through bm25s directly and calls `search_dense` as a module
    # function, both in index/search/passages.py: time them where it calls them.
    import index.search.passages as retrieval_module

    retriever.search._bm25 = Timed(retriever.search._bm25, "get_scores", sinks["lexical"])
    plain_search = retrieval_module.search_dense

    def timed_search(index, vector, k):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return plain_search(index, vector, k)
        finally:
            sinks["dense"].append(time.perf_counter() - started)

    retrieval_module.search_dense = timed_search
    stored.dense = raw_dense

    for question in questions[:10]:  # warm-up: first-touch page faults, lazy inits
        render_answer(retriever.ask(question))
    for sink in sinks.values():
        sink.clear()
    full, rest, floor_st, floor_onnx, kinds = [], [], [], [], defaultdict(int)
    for question in questions:
        marks = {name: len(sink) for name, sink in sinks.items()}
        started = time.perf_counter()
        answer = retriever.ask(question)
        render_answer(answer)
        total = time.perf_counter() - started
        stages = sum(sum(sinks[name][marks[name] :]) for name in ("embed", "dense", "lexical"))
        full.append(total)
        rest.append(total - stages)
        kinds[answer.kind] += 1

        started = time.perf_counter()
        vector = st_model.encode(question, normalize_embeddings=True, convert_to_numpy=True)
        raw_dense.search(vector.reshape(1, -1).astype(np.float32), CANDIDATES)
        floor_st.append(time.perf_counter() - started)

        started = time.perf_counter()
        vector = embedder.embed([question])
        raw_dense.search(vector, CANDIDATES)
        floor_onnx.append(time.perf_counter() - started)

    # Dense recall@10 of the chosen index against exact search, on these real questions.
    import faiss

    vectors = embedder.embed(questions)
    stored_vectors = np.load(index_dir / stored.generation.name / "embeddings.npy", mmap_mode="r")
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(np.ascontiguousarray(stored_vectors))
    _, truth = exact.search(vectors, 10)
    _, found = raw_dense.search(vectors, 10)
    recall = float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, truth, strict=True)]))
    del exact

    spec = stored.manifest.data.get("dense", {})
    row = {
        "passages": n,
        "dense_index": spec.get("kind"),
        "dense_params": spec.get("params", {}),
        "dense_recall_at_10_real_queries": round(recall, 4),
        "queries": len(questions),
        "answer_kinds": dict(kinds),
        "embed": percentiles(sinks["embed"]),
        "dense": percentiles(sinks["dense"]),
        "lexical": percentiles(sinks["lexical"]),
        "fusion_render": percentiles(rest),
        "full": percentiles(full),
        "floor_st": percentiles(floor_st),
        "floor_onnx": percentiles(floor_onnx),
        "load_average": load_average(),
    }
    row["full_p95_over_floor_st_p95"] = round(row["full"]["p95_ms"] / row["floor_st"]["p95_ms"], 3)
    row["full_p95_over_floor_onnx_p95"] = round(
        row["full"]["p95_ms"] / row["floor_onnx"]["p95_ms"], 3
    )
    return row


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1k,10k,100k")
    parser.add_argument("--large", action="store_true", help="also 1M passages")
    parser.add_argument("--queries", type=int, default=200)
    args = parser.parse_args()
    sizes = parse_sizes(args.sizes) + ([1_000_000] if args.large else [])

    embedder = load_embedder()
    from sentence_transformers import SentenceTransformer

    from index.embed.model import resolve_model_path

    st_model = SentenceTransformer(str(resolve_model_path("all-MiniLM-L6-v2")), device="cpu")
    questions = queries(args.queries)
    print(f"load average at start: {load_average()}")
    rows = []
    for n in sizes:
        print(f"{label(n)} passages ...", flush=True)
        rows.append(run_size(n, questions, embedder, st_model))

    def cell(stage: dict) -> str:
        return f"{stage['p50_ms']:.2f} / {stage['p95_ms']:.2f}"

    print_table(
        [
            "passages",
            "index",
            "embed",
            "dense",
            "lexical",
            "fusion+render",
            "full",
            "floor ST",
            "floor ONNX",
            "full/floorST p95",
            "recall@10",
        ],
        [
            [
                label(r["passages"]),
                f"{r['dense_index']}"
                + (
                    f" nprobe {r['dense_params']['nprobe']}"
                    if "nprobe" in r["dense_params"]
                    else ""
                ),
                cell(r["embed"]),
                cell(r["dense"]),
                cell(r["lexical"]),
                cell(r["fusion_render"]),
                cell(r["full"]),
                cell(r["floor_st"]),
                cell(r["floor_onnx"]),
                r["full_p95_over_floor_st_p95"],
                r["dense_recall_at_10_real_queries"],
            ]
            for r in rows
        ],
        title="Warm query latency, ms p50 / p95",
    )
    path = write_json("query_latency", {"rows": rows})
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
