"""Embedding backends side by side: torch (sentence-transformers), ONNX fp32, ONNX int8.

    python -m benchmarks.embedding_variants

Same texts for all: the first 256 synthetic passages (benchmarks/synth.py) and 200 synthetic
questions. Reports one-query latency (p50/p95, the serving case), batch throughput
(passages/s, batch 32), agreement with the torch reference (cosine of the vectors; top-1 and
top-10 overlap of the 256-passage ranking for each question), which is the quality check for
the int8 variant: it is only worth switching to if the ranking does not move.
"""

from __future__ import annotations

import time

import numpy as np

from benchmarks.common import load_average, model_cache, percentiles, print_table, write_json
from benchmarks.synth import generate_articles, queries

TEXTS = 256


def main() -> None:
    from index.embed.onnx_embedder import OnnxEmbedder, onnx_cache_dir
    from index.embed.torch_embedder import TorchEmbedder

    export = onnx_cache_dir("all-MiniLM-L6-v2", model_cache())
    texts: list[str] = []
    for article, paras in generate_articles(TEXTS):
        texts.extend(f"{article['title']}\n\n{p}" for p in paras)
    texts = texts[:TEXTS]
    questions = queries(200)
    print(f"load average at start: {load_average()}")
    variants = {
        "torch (sentence-transformers)": lambda: TorchEmbedder("all-MiniLM-L6-v2"),
        "onnx fp32": lambda: OnnxEmbedder(export),
        "onnx int8 per-channel": lambda: OnnxEmbedder(export, variant="int8"),
    }
    results = {}
    for name, make in variants.items():
        embedder = make()
        for q in questions[:10]:
            embedder.embed([q])
        times = []
        for q in questions:
            started = time.perf_counter()
            embedder.embed([q])
            times.append(time.perf_counter() - started)
        started = time.perf_counter()
        passages = embedder.embed(texts, batch_size=32)
        batch_s = time.perf_counter() - started
        results[name] = {
            "query": percentiles(times),
            "passages_per_s": round(len(texts) / batch_s, 2),
            "q": embedder.embed(questions),
            "p": passages,
            "load_average": load_average(),
        }
        print(f"  {name}: {results[name]['passages_per_s']} passages/s", flush=True)
    reference = results["torch (sentence-transformers)"]
    ref_rank = np.argsort(-(reference["q"] @ reference["p"].T), axis=1)[:, :10]
    rows = []
    for name, r in results.items():
        cos = np.concatenate(
            [np.sum(r["q"] * reference["q"], axis=1), np.sum(r["p"] * reference["p"], axis=1)]
        )
        rank = np.argsort(-(r["q"] @ r["p"].T), axis=1)[:, :10]
        top1 = float(np.mean(rank[:, 0] == ref_rank[:, 0]))
        top10 = float(
            np.mean([len(set(a) & set(b)) / 10 for a, b in zip(rank, ref_rank, strict=True)])
        )
        rows.append(
            {
                "variant": name,
                "query": r["query"],
                "passages_per_s": r["passages_per_s"],
                "cosine_vs_torch_min": round(float(cos.min()), 5),
                "cosine_vs_torch_mean": round(float(cos.mean()), 5),
                "top1_agreement": round(top1, 3),
                "top10_overlap": round(top10, 3),
                "load_average": r["load_average"],
            }
        )
    print_table(
        ["variant", "query p50/p95 ms", "passages/s", "cos min", "cos mean", "top-1 =", "top-10 ∩"],
        [
            [
                r["variant"],
                f"{r['query']['p50_ms']:.2f} / {r['query']['p95_ms']:.2f}",
                r["passages_per_s"],
                r["cosine_vs_torch_min"],
                r["cosine_vs_torch_mean"],
                r["top1_agreement"],
                r["top10_overlap"],
            ]
            for r in rows
        ],
        title="Embedding backends (agreement measured against torch)",
    )
    path = write_json("embedding_variants", {"rows": rows})
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
