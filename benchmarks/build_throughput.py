"""Index build throughput against bare encode, interleaved A/B/A/B; no-op re-index of 10k articles.

    python -m benchmarks.build_throughput                        # onnx fp32, 20 articles, 5 x A/B
    python -m benchmarks.build_throughput --backends onnx,torch --repeats 7 --articles 40
    python -m benchmarks.build_throughput --noop-articles 0      # skip the no-op part

Build (A): a synthetic Markdown corpus (benchmarks/synth.py) indexed from nothing by the real
builder, every stage on (`index.store.builder.build_index`: read + parse files, chunk with the
model's tokenizer, embed, FAISS, BM25, vendor extraction, near-duplicate search, metadata,
fsync, switch CURRENT), each time into a fresh directory. Bare encode (B): the same embedder's
`embed` (ONNX) / `SentenceTransformer.encode` (torch) on exactly the texts the builder embedded,
same batch size. The embedder is loaded and warmed before the clock starts, and A and B
alternate (A B, B A, A B, ...) `--repeats` times each in one process, so a busy neighbour hits
both sides alike. Reported: median passages/s of each, min-max spread, ratio of the medians.

No-op re-index: 10k unchanged articles. The first build uses a stand-in embedder (real
tokenizer for chunking, hashed vectors) because embedding 10k articles for real takes ~30 min
here and a no-op never touches the model anyway; then `python -m bot index` runs as a fresh
process on the unchanged corpus (process wall time, what a user waits for) and
`build_index` runs in-process (builder time alone).
"""

from __future__ import annotations

import argparse
import hashlib
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.common import ROOT, load_average, model_cache, print_table, write_json
from benchmarks.synth import write_corpus_files

BATCH = 32


def _texts_of(index_dir: Path) -> list[str]:
    from index.store.generations import ARTICLES, PASSAGES, current_generation
    from index.store.reader import read_articles
    from index.text.chunking import embedding_input

    generation = current_generation(index_dir)
    articles = read_articles(generation / ARTICLES)
    rows = np.load(generation / PASSAGES)
    return [embedding_input(articles[a].title, articles[a].text[s:e]) for a, s, e in rows]


def _build(corpus: Path, embedder) -> tuple[float, int, Path]:  # type: ignore[no-untyped-def]
    from index.store.builder import build_index

    index_dir = Path(tempfile.mkdtemp(prefix="vc-bench-idx-"))
    report = build_index(corpus, index_dir, embedder.model_id, lambda: embedder, batch_size=BATCH)
    return report.seconds, report.passages, index_dir


def _timed(fn) -> float:  # type: ignore[no-untyped-def]
    started = time.perf_counter()
    fn()
    return time.perf_counter() - started


def make_embedder(backend: str):  # type: ignore[no-untyped-def]
    """(embedder the builder uses, bare encode function, what the bare encode is)."""
    from index.embed.onnx_embedder import OnnxEmbedder, onnx_cache_dir

    if backend == "onnx":
        embedder = OnnxEmbedder(onnx_cache_dir("all-MiniLM-L6-v2", model_cache()))
        return embedder, lambda texts: embedder.embed(texts, batch_size=BATCH), "OnnxEmbedder.embed"
    if backend == "onnx-int8":
        embedder = OnnxEmbedder(onnx_cache_dir("all-MiniLM-L6-v2", model_cache()), variant="int8")
        return embedder, lambda texts: embedder.embed(texts, batch_size=BATCH), "OnnxEmbedder.embed"
    from sentence_transformers import SentenceTransformer

    from index.embed.model import resolve_model_path
    from index.embed.torch_embedder import TorchEmbedder

    st = SentenceTransformer(str(resolve_model_path("all-MiniLM-L6-v2")), device="cpu")

    def bare(texts):  # type: ignore[no-untyped-def]
        return st.encode(texts, batch_size=BATCH, normalize_embeddings=True)

    return TorchEmbedder("all-MiniLM-L6-v2"), bare, "SentenceTransformer.encode"


HEADERS = ["backend", "passages", "tokens", "A/B pairs", "build p/s", "bare encode p/s", "ratio"]
HEADERS += ["load"]


def spread(values: list[float]) -> dict:
    return {
        "median": round(float(np.median(values)), 2),
        "min": round(min(values), 2),
        "max": round(max(values), 2),
        "all": [round(v, 2) for v in values],
    }


def build_row(corpus: Path, backend: str, repeats: int) -> dict:
    embedder, bare, bare_what = make_embedder(backend)
    embedder.embed(["warm up"] * 8)
    seconds, passages, index_dir = _build(corpus, embedder)  # warm-up build, also gives texts
    texts = _texts_of(index_dir)
    shutil.rmtree(index_dir, ignore_errors=True)
    bare(texts[:BATCH])
    builds, encodes, loads = [], [], []
    for number in range(repeats):
        for side in "AB" if number % 2 == 0 else "BA":
            if side == "A":
                seconds, built, index_dir = _build(corpus, embedder)
                shutil.rmtree(index_dir, ignore_errors=True)
                assert built == passages
                builds.append(passages / seconds)
            else:
                encodes.append(len(texts) / _timed(lambda: bare(texts)))
        loads.append(load_average()[0])
    row = {
        "backend": backend,
        "passages": passages,
        "mean_tokens": round(float(np.mean(embedder.count_tokens(texts))), 1),
        "repeats": repeats,
        "build_passages_per_s": spread(builds),
        "bare_encode": bare_what,
        "bare_passages_per_s": spread(encodes),
        "ratio_of_medians": round(float(np.median(builds) / np.median(encodes)), 3),
        "load_average": [min(loads), max(loads)],
    }
    print(
        f"  {backend}: build {row['build_passages_per_s']['median']} p/s, "
        f"bare {row['bare_passages_per_s']['median']} p/s",
        flush=True,
    )
    return row


def build_rows(n_articles: int, backends: list[str], repeats: int) -> list[dict]:
    work = Path(tempfile.mkdtemp(prefix="vc-bench-build-"))
    corpus = work / "corpus"
    write_corpus_files(corpus, n_articles)
    try:
        return [build_row(corpus, backend, repeats) for backend in backends]
    finally:
        shutil.rmtree(work, ignore_errors=True)


class StandInEmbedder:
    """Real tokenizer (so chunking is real), hashed unit vectors instead of the model."""

    def __init__(self, real) -> None:  # type: ignore[no-untyped-def]
        self.model_id, self.dim, self.max_tokens = real.model_id, real.dim, real.max_tokens
        self.count_tokens = real.count_tokens

    def embed(self, texts, batch_size=32, progress=False):  # type: ignore[no-untyped-def]
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        for i, text in enumerate(texts):
            seed = int.from_bytes(hashlib.blake2b(text.encode(), digest_size=8).digest(), "little")
            vec = np.random.default_rng(seed).standard_normal(self.dim)
            out[i] = vec / np.linalg.norm(vec)
        return out


def noop_row(n_articles: int, repeats: int = 3) -> dict:
    from benchmarks.synth import load_embedder
    from index.store.builder import build_index

    work = Path(tempfile.mkdtemp(prefix="vc-bench-noop-"))
    corpus, index_dir = work / "corpus", work / "index"
    try:
        write_corpus_files(corpus, n_articles, words=(50, 80))  # news-sized: ~2-6 passages each
        stand_in = StandInEmbedder(load_embedder())
        first = build_index(corpus, index_dir, stand_in.model_id, lambda: stand_in)
        print(
            f"  first build of {n_articles:,} articles ({first.passages:,} passages, stand-in "
            f"vectors): {first.seconds:.1f} s",
            flush=True,
        )
        env = {
            **os.environ,
            "PYTHONPATH": str(ROOT),
            "VENDORCHECK_CORPUS_DIR": str(corpus),
            "VENDORCHECK_INDEX_DIR": str(index_dir),
            "VENDORCHECK_MODEL_CACHE": str(model_cache()),
        }
        process, inproc, output = [], [], ""
        for _ in range(repeats):
            started = time.perf_counter()
            done = subprocess.run(
                [sys.executable, "-m", "bot", "index"],
                env=env,
                cwd=work,
                capture_output=True,
                text=True,
                check=True,
            )
            process.append(time.perf_counter() - started)
            output = done.stdout
            report = build_index(corpus, index_dir, stand_in.model_id, lambda: 1 / 0)
            assert not report.wrote_new_generation and report.embedded_passages == 0
            inproc.append(report.seconds)
        return {
            "articles": n_articles,
            "passages": first.passages,
            "process_wall_s": [round(x, 3) for x in process],
            "in_process_s": [round(x, 3) for x in inproc],
            "cli_output_tail": output.strip().splitlines()[-1],
            "load_average": load_average(),
        }
    finally:
        shutil.rmtree(work, ignore_errors=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--articles", type=int, default=20)
    parser.add_argument("--backends", default="onnx", help="onnx, onnx-int8, torch (comma list)")
    parser.add_argument("--repeats", type=int, default=5, help="A/B pairs")
    parser.add_argument("--noop-articles", type=int, default=10_000, help="0: skip")
    parser.add_argument("--skip-build", action="store_true")
    args = parser.parse_args()
    print(f"load average at start: {load_average()}")
    backends = [b.strip() for b in args.backends.split(",") if b.strip()]
    rows = [] if args.skip_build else build_rows(args.articles, backends, args.repeats)
    noop = noop_row(args.noop_articles) if args.noop_articles else None

    def cell(stats: dict) -> str:
        return f"{stats['median']:.1f} ({stats['min']:.1f}-{stats['max']:.1f})"

    if rows:
        print_table(
            HEADERS,
            [
                [
                    r["backend"],
                    r["passages"],
                    r["mean_tokens"],
                    r["repeats"],
                    cell(r["build_passages_per_s"]),
                    f"{cell(r['bare_passages_per_s'])} ({r['bare_encode']})",
                    r["ratio_of_medians"],
                    f"{r['load_average'][0]:.1f}-{r['load_average'][1]:.1f}",
                ]
                for r in rows
            ],
            title="Index build throughput, median (min-max), embedder preloaded on both sides",
        )
    if noop:
        print_table(
            ["articles", "passages", "`python -m bot index` wall s", "build_index() s", "load"],
            [
                [
                    noop["articles"],
                    noop["passages"],
                    " ".join(f"{x:.2f}" for x in noop["process_wall_s"]),
                    " ".join(f"{x:.2f}" for x in noop["in_process_s"]),
                    noop["load_average"][0],
                ]
            ],
            title="No-op re-index of an unchanged corpus",
        )
    path = write_json("build_throughput", {"build": rows, "noop": noop})
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
