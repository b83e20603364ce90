"""Dense index kinds side by side: build time, bytes per vector, recall@10, search latency.

    python -m benchmarks.dense_scaling             # 100k vectors
    python -m benchmarks.dense_scaling --large     # adds the measured 1M point for the 10M estimate

Vectors as in benchmarks/synth.py (real embeddings of synthetic passages, replicated with
noise); queries are real embeddings of the synthetic questions. Each kind is built through
`index.dense.build_dense` with its thresholds forced, so the recall-driven `nprobe` tuning is
the production code. Latency: one query at a time, one thread (as served). The 10M estimate
scales the measured bytes per vector and adds the coarse quantizer and direct map.

ivf_sq8 is served with its exact re-rank (`index.dense.RefinedIndex`) over the float32 vectors
saved beside it, memory-mapped as in a generation: "B/vector" is the FAISS file (what is held
in RAM), "mapped MB" the file-backed pages the 200 questions x 2 passes touched (shared,
reclaimable page cache: each candidate row maps a whole 4 KiB page); "no refine" is the recall
the bare 8-bit codes give at the same nprobe. Latency is the second (warm) pass; the first
pass, with pages still to map in, is in the JSON.
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

import faiss
import numpy as np

from benchmarks.common import (
    current_rss_mb,
    label,
    load_average,
    parse_sizes,
    percentiles,
    print_table,
    write_json,
)
from benchmarks.synth import base_vectors, load_embedder, queries, synthetic_vectors

FORCE = {
    "flat": {"flat_max": 10**12},
    "ivf_flat": {"flat_max": 0},
    "ivf_sq8": {"flat_max": 0, "memory_budget": 0},
}


def _rss_file_mb() -> float:
    """Resident file-backed pages (memory-mapped files: shared, reclaimable page cache)."""
    with open("/proc/self/status") as handle:
        for line in handle:
            if line.startswith("RssFile:"):
                return int(line.split()[1]) / 1024
    return 0.0


def measure(n: int, kinds: list[str], qvecs: np.ndarray, base: np.ndarray) -> list[dict]:
    from index.store.dense import (
        build_dense,
        load_dense,
        recall_at_10,
        save_dense,
        search_dense,
        unwrap,
    )

    vectors = synthetic_vectors(base, n)
    exact = faiss.IndexFlatIP(vectors.shape[1])
    exact.add(vectors)
    _, truth = exact.search(qvecs, 10)
    del exact
    rows = []
    for kind in kinds:
        if kind == "flat" and n > 1_000_000:
            continue
        started = time.perf_counter()
        index, spec = build_dense(vectors, **FORCE[kind])
        build_s = time.perf_counter() - started
        path = Path(tempfile.mkdtemp(prefix="vc-dense-")) / "dense.faiss"
        save_dense(index, path)
        if spec.params.get("refine_factor"):  # as a generation stores it, for the re-rank
            np.save(path.parent / "embeddings.npy", vectors)
        del index
        before = current_rss_mb()
        loaded = load_dense(path, spec.to_dict())
        rss = current_rss_mb() - before
        mapped_before = _rss_file_mb()
        passes = []
        for _ in range(2):  # first pass: pages not yet mapped in; second: warm, as when serving
            times = []
            for q in qvecs:
                t = time.perf_counter()
                search_dense(loaded, q, 50)
                times.append(time.perf_counter() - t)
            passes.append(times)
        rss_after = current_rss_mb() - before
        mapped = _rss_file_mb() - mapped_before
        recall = recall_at_10(loaded, truth, qvecs)
        # What the 8-bit codes alone would give at the same nprobe (the re-rank's contribution).
        bare = recall_at_10(unwrap(loaded), truth, qvecs) if loaded is not unwrap(loaded) else None
        size = path.stat().st_size
        path.unlink()
        (path.parent / "embeddings.npy").unlink(missing_ok=True)
        rows.append(
            {
                "vectors": n,
                "kind": kind,
                "params": spec.params,
                "build_s": round(build_s, 1),
                "bytes_on_disk": size,
                "bytes_per_vector": round(size / n, 1),
                "rss_mb": round(rss, 1),
                "rss_after_queries_mb": round(rss_after, 1),
                "file_backed_rss_mb_touched": round(mapped, 1),
                "recall_at_10_real_queries": round(recall, 4),
                "recall_at_10_build_probe": spec.params.get("recall_at_10"),
                "recall_at_10_without_refine": None if bare is None else round(bare, 4),
                "search": percentiles(passes[1]),
                "search_first_pass": percentiles(passes[0]),
                "load_average": load_average(),
            }
        )
        print(
            f"  {label(n)} {kind}: build {build_s:.1f} s, {size / n:.0f} B/vec, "
            f"recall {recall:.3f}, p95 {rows[-1]['search']['p95_ms']} ms",
            flush=True,
        )
        del loaded
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="100k")
    parser.add_argument("--large", action="store_true")
    parser.add_argument("--kinds", default="flat,ivf_flat,ivf_sq8")
    args = parser.parse_args()
    sizes = parse_sizes(args.sizes) + ([1_000_000] if args.large else [])
    embedder = load_embedder()
    base = base_vectors(embedder)
    qvecs = embedder.embed(queries(200))
    print(f"load average at start: {load_average()}")
    rows = []
    for n in sizes:
        rows.extend(measure(n, args.kinds.split(","), qvecs, base))
    print_table(
        [
            "vectors",
            "kind",
            "params",
            "build s",
            "B/vector",
            "mapped MB",
            "recall@10",
            "build probe",
            "no refine",
            "p50/p95 ms",
        ],
        [
            [
                label(r["vectors"]),
                r["kind"],
                " ".join(
                    f"{k}={r['params'][k]}"
                    for k in ("nlist", "nprobe", "refine_factor")
                    if k in r["params"]
                ),
                r["build_s"],
                r["bytes_per_vector"],
                r["file_backed_rss_mb_touched"],
                r["recall_at_10_real_queries"],
                r["recall_at_10_build_probe"] or "-",
                r["recall_at_10_without_refine"] or "-",
                f"{r['search']['p50_ms']:.2f} / {r['search']['p95_ms']:.2f}",
            ]
            for r in rows
        ],
        title="Dense index kinds (one query at a time, one thread)",
    )
    largest = max(r["vectors"] for r in rows)
    estimate = {}
    for r in rows:
        if r["vectors"] == largest:
            per_vector = r["bytes_per_vector"]
            estimate[r["kind"]] = round(per_vector * 10_000_000 / 2**30, 2)
    print(f"\n10M-vector estimate from the {label(largest)} point (GiB): {estimate}")
    path = write_json(
        "dense_scaling-" + "-".join(label(n) for n in sizes),
        {"rows": rows, "estimate_10m_gib": estimate},
    )
    print(f"wrote {path}")


if __name__ == "__main__":
    main()
