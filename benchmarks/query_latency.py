"""Warm query latency, like for like: the answer path beside its floor, two workloads, by size.

    python -m benchmarks.query_latency                      # 1k, 10k, 100k
    python -m benchmarks.query_latency --large              # adds 1M (builds it once, cached)
    python -m benchmarks.query_latency --sizes 100k --rounds 5

One process, one ONNX embedder (the serving backend) and one loaded index per size, shared by
both sides, so threads (ONNX Runtime and FAISS single-threaded, as the product loads them) and
warm-up are the same. A warm-up set of questions is asked on both sides before timing starts; then
`--rounds` passes, each over questions no earlier pass asked (`question_sets`), the two
workloads interleaved and the side that goes first alternating from one question to the next.

* **path**: `Retriever.ask(question)` as `index.engine.open_retriever` builds it (official-list
  status included): plan, embed, BM25, FAISS, fusion, key sentences, near-duplicates. Rendering
  is channel-specific (CLI text, Slack blocks) and reported on its own (`render`, the CLI's
  `render_answer`), not in the ratio.
* **floor**: the same embedder's bare `embed([question])` + the same FAISS index's bare
  `search(vector, 50)` (50 = the candidates the retriever asks FAISS for).
* Also each side's CPU time (`time.thread_time`), which a busy neighbour inflates far less than
  wall time: on this shared box the wall-time p95 of either side is mostly time spent waiting
  for a core.
* Stages inside the path, timed where the path calls them: embed (every embedding the answer
  makes), FAISS (`search_dense`), BM25 (`PassageSearch.lexical_scores`), rest = path minus those.

Workloads are reported separately, by how the retriever reads the question: **names a vendor**
(answered from the passages naming it, a bare name gets a brief) and **names nothing**
(corpus-wide: FAISS top-50 + BM25 top-50, fused). Questions: `synth.queries` and
`synth.topic_queries`, embedded for real. The corpora are synthetic (see benchmarks/synth.py):
text and BM25 are real at every size; the passage *vectors* are synthetic at every size (512
real embeddings plus noise), since embedding 1M passages takes most of a day on this box.
"""

from __future__ import annotations

import argparse
import os
import time
from collections import defaultdict

import numpy as np

from benchmarks.common import label, load_average, parse_sizes, percentiles, write_json
from benchmarks.synth import load_embedder, queries, synthetic_index, topic_queries

CANDIDATES = 50
WORKLOADS = ("names a vendor", "names nothing")


class Timed:
    """Delegates everything to `inner`, timing one method into `sink`."""

    def __init__(self, inner, method: str, sink: list[float]) -> None:  # type: ignore[no-untyped-def]
        self._inner, self._method, self._sink = inner, method, sink

    def __getattr__(self, name: str):  # type: ignore[no-untyped-def]
        value = getattr(self._inner, name)
        if name != self._method:
            return value
        return timed(value, self._sink)


def timed(fn, sink: list[float]):  # type: ignore[no-untyped-def]
    def call(*args, **kwargs):  # type: ignore[no-untyped-def]
        started = time.perf_counter()
        try:
            return fn(*args, **kwargs)
        finally:
            sink.append(time.perf_counter() - started)

    call.__wrapped__ = fn  # type: ignore[attr-defined]
    return call


def open_path(n: int, embedder, log=print):  # type: ignore[no-untyped-def]
    """The retriever as the product opens it, with stage timers; (retriever, stored, sinks)."""
    import index.search.passages as passages_module
    from index.config import EngineConfig
    from index.lists.answers import ListStatusProvider
    from index.search.retriever import Retriever
    from index.store.reader import open_index

    index_dir = synthetic_index(n, embedder, log=log)
    stored = open_index(index_dir, None, mmap=True)
    sinks: dict[str, list[float]] = defaultdict(list)
    lists = ListStatusProvider(EngineConfig.from_env())
    retriever = Retriever(stored, Timed(embedder, "embed", sinks["embed"]), lists=lists)
    search = retriever.search
    search.lexical_scores = timed(search.lexical_scores, sinks["bm25"])  # type: ignore[method-assign]
    plain = getattr(passages_module.search_dense, "__wrapped__", passages_module.search_dense)
    passages_module.search_dense = timed(plain, sinks["faiss"])  # one timer, not one per size
    return retriever, stored, sinks


def workload_of(retriever, question: str) -> str:  # type: ignore[no-untyped-def]
    return WORKLOADS[0] if retriever.planner.plan(question).named else WORKLOADS[1]


def question_sets(count: int, rounds: int) -> list[list[str]]:
    """Warm-up set, then one set per round: `count` questions of each workload, interleaved,
    different in every set (other seeds), so no round re-asks a question an earlier one
    asked; word- and passage-level caches still warm up as they would on real traffic."""
    sets = []
    for number in range(rounds + 1):
        vendor = queries(count, seed=100 + number)
        topic = topic_queries(count, seed=200 + number)
        sets.append([q for pair in zip(vendor, topic, strict=True) for q in pair])
    return sets


def measure(retriever, stored, embedder, sinks, sets: list[list[str]]) -> dict:  # type: ignore[no-untyped-def]
    """Per workload: samples (seconds) of path, floor, render and the stages inside the path."""
    from bot.cli.output import render_answer

    dense = stored.dense

    def floor(question: str, cpu: list[float] | None = None) -> float:
        started, cpu_started = time.perf_counter(), time.thread_time()
        vector = embedder.embed([question])
        dense.search(vector, CANDIDATES)
        if cpu is not None:
            cpu.append(time.thread_time() - cpu_started)
        return time.perf_counter() - started

    def path(question: str, cpu: list[float] | None = None) -> tuple[float, object]:
        started, cpu_started = time.perf_counter(), time.thread_time()
        answer = retriever.ask(question)
        if cpu is not None:
            cpu.append(time.thread_time() - cpu_started)
        return time.perf_counter() - started, answer

    for question in sets[0]:  # warm-up, both sides: page faults, lazy inits
        floor(question)
        render_answer(path(question)[1])
    for sink in sinks.values():
        sink.clear()
    samples: dict[str, dict[str, list[float]]] = {w: defaultdict(list) for w in WORKLOADS}
    answers: dict[str, dict[str, int]] = {w: defaultdict(int) for w in WORKLOADS}
    for round_no, questions in enumerate(sets[1:]):
        kinds = [workload_of(retriever, q) for q in questions]
        for i, (question, workload) in enumerate(zip(questions, kinds, strict=True)):
            row = samples[workload]
            if (i + round_no) % 2:
                row["floor"].append(floor(question, row["floor_cpu"]))
            marks = {name: len(sink) for name, sink in sinks.items()}
            took, answer = path(question, row["path_cpu"])
            row["path"].append(took)
            inside = 0.0
            for name in ("embed", "faiss", "bm25"):
                spent = sum(sinks[name][marks.get(name, 0) :])
                row[name].append(spent)
                inside += spent
            row["rest"].append(took - inside)
            if not (i + round_no) % 2:
                row["floor"].append(floor(question, row["floor_cpu"]))
            started = time.perf_counter()
            render_answer(answer)
            row["render"].append(time.perf_counter() - started)
            answers[workload][f"{answer.kind}{'+quotes' if answer.results else ''}"] += 1
    return {"samples": samples, "answers": answers}


def recall_at_10(stored, embedder, questions: list[str]) -> float:  # type: ignore[no-untyped-def]
    """Recall@10 of the served FAISS index against exact search, on these questions."""
    import faiss

    vectors = embedder.embed(questions)
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(np.ascontiguousarray(stored.vectors))
    _, truth = exact.search(vectors, 10)
    _, found = stored.dense.search(vectors, 10)
    return float(np.mean([len(set(a) & set(b)) / 10 for a, b in zip(found, truth, strict=True)]))


def run_size(n: int, sets: list[list[str]], embedder, log=print) -> dict:  # type: ignore[no-untyped-def]
    retriever, stored, sinks = open_path(n, embedder, log=log)
    load_before = load_average()
    measured = measure(retriever, stored, embedder, sinks, sets)
    spec = stored.manifest.data.get("dense", {})
    row: dict = {
        "passages": n,
        "dense_index": spec.get("kind"),
        "dense_params": spec.get("params", {}),
        "load_average_before": load_before,
        "load_average_after": load_average(),
        "rounds": len(sets) - 1,
        "workloads": {},
    }
    for workload, stages in measured["samples"].items():
        if not stages["path"]:
            continue
        stats = {stage: percentiles(values) for stage, values in stages.items()}
        stats["asks"] = len(stages["path"])
        stats["answers"] = dict(measured["answers"][workload])
        stats["path_over_floor_p95"] = round(stats["path"]["p95_ms"] / stats["floor"]["p95_ms"], 3)
        stats["path_over_floor_p50"] = round(stats["path"]["p50_ms"] / stats["floor"]["p50_ms"], 3)
        stats["cpu_path_over_floor_p95"] = round(
            stats["path_cpu"]["p95_ms"] / stats["floor_cpu"]["p95_ms"], 3
        )
        row["workloads"][workload] = stats
    row["dense_recall_at_10"] = round(recall_at_10(stored, embedder, sets[1]), 4)
    return row


def index_cell(row: dict) -> str:
    params = row["dense_params"]
    return row["dense_index"] + (f" nprobe {params['nprobe']}" if "nprobe" in params else "")


def print_rows(rows: list[dict]) -> None:
    def cell(stage: dict) -> str:
        return f"{stage['p50_ms']:.2f} / {stage['p95_ms']:.2f}"

    headers = "passages | index | workload | asks | floor | **path** | path/floor p95 | embed | "
    headers += "FAISS | BM25 | rest | render | CPU-time path/floor p95 | recall@10 | load"
    print("\nWarm query latency, ms p50 / p95\n")
    print(f"| {headers} |")
    print("|" + "---|" * len(headers.split("|")))
    for r in rows:
        load = f"{r['load_average_before'][0]:.2f}-{r['load_average_after'][0]:.2f}"
        for workload, s in r["workloads"].items():
            cells = [label(r["passages"]), index_cell(r), workload, str(s["asks"])]
            cells += [cell(s["floor"]), f"**{cell(s['path'])}**", f"{s['path_over_floor_p95']:.2f}"]
            cells += [cell(s[k]) for k in ("embed", "faiss", "bm25", "rest", "render")]
            cells += [f"{s['cpu_path_over_floor_p95']:.2f}", f"{r['dense_recall_at_10']:.3f}", load]
            print("| " + " | ".join(cells) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1k,10k,100k")
    parser.add_argument("--large", action="store_true", help="also 1M passages")
    parser.add_argument("--queries", type=int, default=200, help="per workload")
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    sizes = parse_sizes(args.sizes) + ([1_000_000] if args.large else [])
    embedder = load_embedder()
    sets = question_sets(args.queries, args.rounds)
    print(f"load average at start: {load_average()}, {os.cpu_count()} cores", flush=True)
    rows = []
    for n in sizes:
        print(f"{label(n)} passages ...", flush=True)
        rows.append(run_size(n, sets, embedder))
        print_rows(rows[-1:])
    print_rows(rows)
    path = write_json("query_latency", {"rows": rows})
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
