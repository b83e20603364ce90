"""Warm answer latency of the shipped path on the real set, stage by stage, against its floor.

    python -m benchmarks.answer_latency [--rounds 5]

Indexes `tests/fixtures/realeval/corpus` (133 documents), then asks every question of
`questions.jsonl` `--rounds` times, interleaving in one process, same embedder (ONNX), same
threads, both sides warmed up:

- floor: the embedder's bare encode of the question + the FAISS index's bare top-50 search;
- stages of the path, each timed by calling it alone on the same question: plan (vendor and
  name reading), score (embed + BM25 over every passage), rank (candidates, fusion), list
  status (screening the names against the official lists), and the whole `Retriever.ask`.

Reported separately for questions that name something (a vendor or proper name: answered
from the articles naming it) and questions that do not (corpus-wide search). Prints a table;
writes benchmarks/out/answer_latency.json.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bot.cli.evaluate import load_questions  # noqa: E402
from index.config import EngineConfig  # noqa: E402
from index.embed.loader import load_embedder  # noqa: E402
from index.embed.model import model_id_for  # noqa: E402
from index.lists.answers import ListStatusProvider  # noqa: E402
from index.search.retriever import Retriever  # noqa: E402
from index.store.builder import build_index  # noqa: E402
from index.store.dense import search_dense  # noqa: E402
from index.store.reader import open_index  # noqa: E402

REALEVAL = REPO / "tests/fixtures/realeval"


def clock(fn, *args):  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    fn(*args)
    return time.perf_counter() - started


def pct(values: list[float], q: float) -> float:
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(q * (len(ordered) - 1)))] * 1000


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument(
        "--model-cache",
        default=os.environ.get("VENDORCHECK_TEST_MODEL_CACHE", str(REPO / ".vendorcheck/models")),
    )
    args = parser.parse_args()
    embedder = load_embedder("all-MiniLM-L6-v2", backend="onnx", cache_root=Path(args.model_cache))
    questions = [q.question for q in load_questions(REALEVAL / "questions.jsonl")]
    with tempfile.TemporaryDirectory() as tmp:
        index_dir = Path(tmp) / "index"
        build_index(
            REALEVAL / "corpus", index_dir, model_id_for("all-MiniLM-L6-v2"), lambda: embedder
        )
        stored = open_index(index_dir, None, mmap=True)
        lists = ListStatusProvider(EngineConfig.from_env())
        r = Retriever(stored, embedder, lists=lists)
        for q in questions:  # warm-up, both sides
            r.ask(q)
            search_dense(stored.dense, embedder.embed([q])[0], 50)
        times: dict[str, dict[str, list[float]]] = {}
        for _ in range(args.rounds):
            for q in questions:
                plan = r.planner.plan(q)
                workload = "names a vendor or name" if plan.named else "names nothing"
                row = times.setdefault(workload, {})
                vec = embedder.embed([q])[0]
                row.setdefault("floor (encode + FAISS top-50)", []).append(
                    clock(embedder.embed, [q]) + clock(search_dense, stored.dense, vec, 50)
                )
                row.setdefault("plan", []).append(clock(r.planner.plan, q))
                row.setdefault("score (embed + BM25)", []).append(clock(r.search.score_query, q))
                parts = r.named_parts(plan)
                row.setdefault("rank", []).append(clock(r.rank, plan, parts))
                names = [*plan.displays, *plan.missing]
                row.setdefault("list status", []).append(clock(lists.for_names, names, names))
                row.setdefault("full Retriever.ask", []).append(clock(r.ask, q))
    out = {}
    print(
        f"{len(questions)} questions x {args.rounds} rounds, {stored.size} passages; "
        f"load average {os.getloadavg()[0]:.1f}"
    )
    for workload, row in times.items():
        print(f"\n{workload} ({len(row['plan'])} asks)")
        print(f"  {'stage':<32}{'p50 ms':>9}{'p95 ms':>9}")
        out[workload] = {}
        for stage, values in row.items():
            out[workload][stage] = {"p50_ms": pct(values, 0.5), "p95_ms": pct(values, 0.95)}
            print(f"  {stage:<32}{pct(values, 0.5):>9.2f}{pct(values, 0.95):>9.2f}")
        floor = statistics.median(row["floor (encode + FAISS top-50)"])
        full = statistics.median(row["full Retriever.ask"])
        print(f"  full / floor (p50): {full / floor:.2f}x")
    (REPO / "benchmarks/out").mkdir(parents=True, exist_ok=True)
    (REPO / "benchmarks/out/answer_latency.json").write_text(json.dumps(out, indent=2))
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
