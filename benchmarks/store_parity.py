"""The engine store beside the local store: same answers? how fast? where does each win?

    python -m benchmarks.store_parity --corpus tests/fixtures/realeval/corpus \\
        --questions tests/fixtures/realeval/questions.jsonl
    python -m benchmarks.store_parity ... --size 100k          # + the synthetic 100k point
    python -m benchmarks.store_parity ... --dense-point 1M     # + the engine's 1M dense point
    python -m benchmarks.store_parity ... --size 100k --profile  # + the SQL of each answer

1. **Parity**: indexes `--corpus` into each store from nothing (`build`: read, chunk, embed,
   write; the engine's build also sends everything to the server), asks every question of
   `--questions` (JSONL with a `question` field) in both, question by question (which store
   goes first alternates, so both see the same load), and prints the top-3 agreement, the
   abstention agreement, the build time and the warm answer p50/p95 of each, side by side.
2. **`--size N`**: the synthetic index of `benchmarks/synth.py` (N passages, cached), opened
   locally and copied into the engine with `store migrate`'s code; the synthetic questions
   asked in both the same way (p50/p95, top-3 agreement). With `--profile`, a second pass
   over the same questions times every statement the engine sends (round trips per answer,
   ms each).
3. **`--dense-point N`**: N synthetic vectors (synth.py's, real geometry) in a table with an
   IVFFlat index (sqrt(N) lists, 32 probes; an HNSW build at 1M takes too long on this box)
   on the server; the p50/p95 of the engine's dense query (top 50, as the retriever
   asks), which is the part of an answer that grows with the corpus. BM25 postings at that size
   are not loaded (estimated at an hour or more on this machine); see RESULTS.md.

A local Postgres (the `pgserver` wheel) is started in benchmarks/out/pg unless `--url` points
at a running one. Results go to benchmarks/out/store_parity.json.
"""

from __future__ import annotations

import argparse
import json
import shutil
import tempfile
import time
from dataclasses import replace
from pathlib import Path

import numpy as np

from benchmarks.common import OUT, label, model_cache, parse_sizes, percentiles, print_table
from benchmarks.common import write_json as save


class SqlTimer:
    """`--profile`: every statement the engine's searches send, timed from send to the last
    row (psycopg's `Connection.execute` wrapped for the run), grouped by its opening words."""

    def __init__(self) -> None:
        self.calls: dict[str, list[float]] = {}
        self.asks: list[int] = []

    def __enter__(self) -> SqlTimer:
        import psycopg

        original, calls = psycopg.Connection.execute, self.calls

        def execute(conn, query, params=None, **kwargs):  # type: ignore[no-untyped-def]
            started = time.perf_counter()
            cursor = original(conn, query, params, **kwargs)
            rows = cursor.fetchall() if cursor.description else []
            key = " ".join(str(query).split())[:60]
            calls.setdefault(key, []).append(time.perf_counter() - started)
            return _Rows(rows)

        self._restore = lambda: setattr(psycopg.Connection, "execute", original)
        psycopg.Connection.execute = execute  # type: ignore[method-assign]
        return self

    def __exit__(self, *exc: object) -> None:
        self._restore()

    def count(self) -> int:
        return sum(len(v) for v in self.calls.values())

    def report(self, asks: int) -> None:
        rows = [
            [key, f"{len(v) / asks:.2f}", f"{percentiles(v)['p50_ms']:.2f}",
             f"{percentiles(v)['p95_ms']:.2f}", f"{sum(v) * 1000 / asks:.1f}"]
            for key, v in sorted(self.calls.items(), key=lambda kv: -sum(kv[1]))
        ]  # fmt: skip
        trips = np.asarray(self.asks)
        title = (
            f"Engine SQL per answer ({asks} answers; round trips per answer: mean "
            f"{trips.mean():.2f}, max {trips.max()})"
        )
        print_table(["statement", "per answer", "ms p50", "ms p95", "ms per answer"], rows, title)


class _Rows(list):
    def fetchall(self) -> list:
        return list(self)

    def fetchone(self):  # type: ignore[no-untyped-def]
        return self[0] if self else None


def ask_interleaved(first, second, questions: list[str]) -> tuple[tuple, tuple]:  # type: ignore[no-untyped-def]
    """Every question asked of both retrievers, one after the other (which goes first
    alternates), so that both see the same load on a shared machine: (answers, seconds) each."""
    for retriever in (first, second):  # warm: the first inference builds ONNX's kernels
        retriever.ask(questions[0])
    out: tuple[tuple[list, list], ...] = (([], []), ([], []))
    for i, question in enumerate(questions):
        pair = ((0, first), (1, second)) if i % 2 == 0 else ((1, second), (0, first))
        for side, retriever in pair:
            started = time.perf_counter()
            answer = retriever.ask(question)
            out[side][1].append(time.perf_counter() - started)
            out[side][0].append(answer)
    return out[0], out[1]


def agreement(local: list, engine: list) -> tuple[float, float]:
    top3 = [
        [r.article.id for r in a.results][:3] == [r.article.id for r in b.results][:3]
        for a, b in zip(local, engine, strict=True)
    ]
    kinds = [
        (a.kind, bool(a.results)) == (b.kind, bool(b.results))
        for a, b in zip(local, engine, strict=True)
    ]
    return float(np.mean(top3)), float(np.mean(kinds))


def row(name: str, n: int, build_s: float, local, engine, seconds) -> list:  # type: ignore[no-untyped-def]
    top3, kinds = agreement(local, engine)
    lp, ep = percentiles(seconds["local"]), percentiles(seconds["engine"])
    return [
        name, n, f"{build_s['local']:.1f} / {build_s['engine']:.1f}", f"{top3:.3f}",
        f"{kinds:.3f}", f"{lp['p50_ms']:.1f} / {lp['p95_ms']:.1f}", f"{ep['p50_ms']:.1f} / {ep['p95_ms']:.1f}",
        f"{ep['p95_ms'] / lp['p95_ms']:.2f}",
    ]  # fmt: skip


def parity(args, url_for, embedder) -> list:  # type: ignore[no-untyped-def]
    from index.config import EngineConfig
    from index.engine import build, open_retriever

    rows = [json.loads(line) for line in Path(args.questions).read_text().splitlines() if line]
    questions = [r["question"] for r in rows]
    root = Path(tempfile.mkdtemp(prefix="vc-parity-"))
    local = EngineConfig(
        corpus_dir=Path(args.corpus), index_dir=root / "index", data_dir=root / "data",
        model_cache_dir=model_cache(),
    )  # fmt: skip
    engine = replace(local, store=url_for("parity"), store_check_interval=3600)
    build_s = {}
    for name, config in (("local", local), ("engine", engine)):
        started = time.perf_counter()
        report = build(config, rebuild=True)  # from nothing, whatever the server holds
        build_s[name] = time.perf_counter() - started
    retrievers = (open_retriever(local, embedder), open_retriever(engine, embedder))
    (a, local_s), (b, engine_s) = ask_interleaved(*retrievers, questions)
    answers, seconds = {"local": a, "engine": b}, {"local": local_s, "engine": engine_s}
    shutil.rmtree(root, ignore_errors=True)
    n = report.passages
    name = Path(args.corpus).resolve()
    name = name.parent.name if name.name == "corpus" else name.name
    return row(name, n, build_s, answers["local"], answers["engine"], seconds)


def size_point(n: int, url_for, embedder, count: int, profile: bool = False) -> list:  # type: ignore[no-untyped-def]
    from benchmarks.synth import queries, synthetic_index
    from index.embed.model import model_id_for
    from index.search.follow import FollowingRetriever
    from index.search.retriever import Retriever
    from index.store.reader import open_index
    from index.store.seam import EngineStore

    index_dir = synthetic_index(n, embedder)
    model = model_id_for("all-MiniLM-L6-v2")
    store = EngineStore(url_for(f"synth{label(n).lower()}"), OUT / "engine-build")
    started = time.perf_counter()
    report = store.migrate(index_dir, model)
    push = time.perf_counter() - started
    print(f"  {label(n)}: sent {len(report.added):,} articles in {push:.0f} s", flush=True)
    asked = queries(count)
    local = Retriever(open_index(index_dir, model, mmap=True), embedder)
    engine = FollowingRetriever(store, model, embedder, interval=3600)
    (a, local_s), (b, engine_s) = ask_interleaved(local, engine, asked)
    if profile:  # a separate pass: the timer's own cost stays out of the latency above
        with SqlTimer() as timer:
            for question in asked:
                before = timer.count()
                engine.ask(question)
                timer.asks.append(timer.count() - before)
        timer.report(len(asked))
    build_s = {"local": float("nan"), "engine": push}
    return row(f"synthetic {label(n)}", n, build_s, a, b, {"local": local_s, "engine": engine_s})


PROBES = 32  # of sqrt(n) lists: ~3% of the vectors scanned per query at 1M


def dense_point(n: int, url: str, embedder, count: int) -> list:  # type: ignore[no-untyped-def]
    from benchmarks.synth import base_vectors, queries, synthetic_vectors
    from index.store.pg_schema import connect

    conn = connect(url, autocommit=True)
    conn.execute("CREATE EXTENSION IF NOT EXISTS vector")
    conn.close()
    conn = connect(url, autocommit=True)
    have = conn.execute("SELECT to_regclass('bench_dense') IS NOT NULL").fetchone()[0]
    started = time.perf_counter()
    if not have or conn.execute("SELECT count(*) FROM bench_dense").fetchone()[0] != n:
        conn.execute("DROP TABLE IF EXISTS bench_dense")
        conn.execute("CREATE TABLE bench_dense (pid bigint PRIMARY KEY, embedding vector(384))")
        vectors = synthetic_vectors(base_vectors(embedder), n)
        with conn.cursor().copy("COPY bench_dense FROM STDIN WITH (FORMAT BINARY)") as copy:
            copy.set_types(["int8", "vector"])
            for i in range(n):
                copy.write_row((i, vectors[i]))
        print(f"  {label(n)} vectors loaded in {time.perf_counter() - started:.0f} s", flush=True)
        conn.execute("SET maintenance_work_mem = '2GB'")
        lists = max(100, int(np.sqrt(n)))
        conn.execute(
            f"CREATE INDEX ON bench_dense USING ivfflat (embedding vector_ip_ops) "
            f"WITH (lists = {lists})"
        )
    built = time.perf_counter() - started
    conn.execute(f"SET ivfflat.probes = {PROBES}")
    seconds = []
    for question in queries(count):
        vector = embedder.embed([question])[0]
        began = time.perf_counter()
        conn.execute(
            "SELECT pid FROM bench_dense ORDER BY embedding <#> %s LIMIT 50", (vector,)
        ).fetchall()
        seconds.append(time.perf_counter() - began)
    p = percentiles(seconds[1:])
    return [f"dense only, {label(n)}", n, f"- / {built:.0f}", "-", "-", "-",
            f"{p['p50_ms']:.1f} / {p['p95_ms']:.1f}", "-"]  # fmt: skip


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--corpus", required=True)
    parser.add_argument("--questions", required=True)
    parser.add_argument("--url", help="a running Postgres with pgvector (default: start one)")
    parser.add_argument("--size", default="", help="synthetic size points, e.g. 100k")
    parser.add_argument("--dense-point", default="", help="engine dense-only points, e.g. 1M")
    parser.add_argument("--queries", type=int, default=200, help="synthetic questions per point")
    parser.add_argument(
        "--profile", action="store_true", help="also time each SQL statement of the --size asks"
    )
    args = parser.parse_args()

    from benchmarks.synth import load_embedder
    from index.store.pg_server import create_database, start_server

    server = None
    if args.url:
        base = args.url.rsplit("/", 1)[0]

        def url_for(name: str) -> str:
            return f"{base}/{name}"
    else:
        server = start_server(OUT / "pg")

        def url_for(name: str) -> str:
            return create_database(server, f"bench_{name}")

    embedder = load_embedder()
    rows = []
    try:
        rows.append(parity(args, url_for, embedder))
        for n in parse_sizes(args.size):
            rows.append(size_point(n, url_for, embedder, args.queries, args.profile))
        for n in parse_sizes(args.dense_point):
            rows.append(dense_point(n, url_for("dense"), embedder, args.queries))
    finally:
        if server is not None:
            server.stop()
    headers = ["corpus", "passages", "build s local / engine", "top-3 agree",
               "abstain agree", "local ms p50 / p95", "engine ms p50 / p95", "p95 ratio"]  # fmt: skip
    print_table(headers, rows, "Engine store (Postgres + pgvector) vs local store, warm answers")
    save("store_parity", {"headers": headers, "rows": rows})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
