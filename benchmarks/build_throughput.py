"""Index build throughput vs bare encode, torch and ONNX paths; no-op re-index of 10k articles.

    python -m benchmarks.build_throughput                  # ~60 articles (~500 passages) + 10k no-op
    python -m benchmarks.build_throughput --articles 300 --noop-articles 10000

Build: a synthetic Markdown corpus (benchmarks/synth.py) is indexed by the real builder
(`index.store.builder.build_index`: load + parse files, chunk with the model's tokenizer, embed, write
FAISS + BM25 + metadata, fsync, switch CURRENT). The embedder is loaded before the clock starts
for both sides, so "build" and "bare encode" differ only by what the builder adds. The bare
encode is `SentenceTransformer.encode` (torch) / `OnnxEmbedder.embed` on exactly the texts the
builder embedded, same batch size, in the same run.

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


def build_rows(n_articles: int) -> list[dict]:
    from sentence_transformers import SentenceTransformer

    from index.embed.model import resolve_model_path
    from index.embed.onnx_embedder import OnnxEmbedder, onnx_cache_dir
    from index.embed.torch_embedder import TorchEmbedder

    work = Path(tempfile.mkdtemp(prefix="vc-bench-build-"))
    corpus = work / "corpus"
    write_corpus_files(corpus, n_articles)
    export = onnx_cache_dir("all-MiniLM-L6-v2", model_cache())
    rows = []
    try:
        for name, make in (
            ("onnx fp32", lambda: OnnxEmbedder(export)),
            ("onnx int8", lambda: OnnxEmbedder(export, variant="int8")),
            ("torch", lambda: TorchEmbedder("all-MiniLM-L6-v2")),
        ):
            embedder = make()
            embedder.embed(["warm up"] * 8)
            seconds, passages, index_dir = _build(corpus, embedder)
            texts = _texts_of(index_dir)
            shutil.rmtree(index_dir, ignore_errors=True)
            if name == "torch":
                st = SentenceTransformer(str(resolve_model_path("all-MiniLM-L6-v2")), device="cpu")
                bare = _timed(
                    lambda st=st, texts=texts: st.encode(
                        texts, batch_size=BATCH, normalize_embeddings=True
                    )
                )
                bare_what = "SentenceTransformer.encode"
            else:
                bare = _timed(lambda e=embedder, t=texts: e.embed(t, batch_size=BATCH))
                bare_what = "OnnxEmbedder.embed"
            tokens = embedder.count_tokens(texts)
            row = {
                "backend": name,
                "passages": passages,
                "mean_tokens": round(float(np.mean(tokens)), 1),
                "build_s": round(seconds, 2),
                "build_passages_per_s": round(passages / seconds, 2),
                "bare_encode": bare_what,
                "bare_s": round(bare, 2),
                "bare_passages_per_s": round(len(texts) / bare, 2),
                "ratio": round((passages / seconds) / (len(texts) / bare), 3),
                "load_average": load_average(),
            }
            print(
                f"  {name}: build {row['build_passages_per_s']} p/s, bare {row['bare_passages_per_s']} p/s",
                flush=True,
            )
            rows.append(row)
    finally:
        shutil.rmtree(work, ignore_errors=True)
    return rows


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
    parser.add_argument("--articles", type=int, default=60)
    parser.add_argument("--noop-articles", type=int, default=10_000)
    parser.add_argument("--skip-build", action="store_true")
    args = parser.parse_args()
    print(f"load average at start: {load_average()}")
    rows = [] if args.skip_build else build_rows(args.articles)
    noop = noop_row(args.noop_articles)
    if rows:
        print_table(
            ["backend", "passages", "tokens", "build p/s", "bare encode p/s", "ratio", "load"],
            [
                [
                    r["backend"],
                    r["passages"],
                    r["mean_tokens"],
                    r["build_passages_per_s"],
                    f"{r['bare_passages_per_s']:.2f} ({r['bare_encode']})",
                    r["ratio"],
                    r["load_average"][0],
                ]
                for r in rows
            ],
            title="Index build throughput (embedder preloaded on both sides)",
        )
    print_table(
        ["articles", "passages", "`python -m bot index` wall s", "build_index() s"],
        [
            [
                noop["articles"],
                noop["passages"],
                " ".join(f"{x:.2f}" for x in noop["process_wall_s"]),
                " ".join(f"{x:.2f}" for x in noop["in_process_s"]),
            ]
        ],
        title="No-op re-index of an unchanged corpus",
    )
    path = write_json("build_throughput", {"build": rows, "noop": noop})
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
