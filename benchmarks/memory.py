"""Memory: peak RSS of a serving process per index size, bytes per passage, disk per passage.

    python -m benchmarks.memory                # 1k, 10k, 100k
    python -m benchmarks.memory --large        # adds 1M

Each size runs benchmarks/_probe.py in a fresh process: import, load the index, load the ONNX
model, answer 50 questions. "index RSS/passage" is the resident memory the index load added
divided by the passages; "disk" is the generation directory per file.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys

from benchmarks.common import ROOT, label, load_average, model_cache, parse_sizes, print_table
from benchmarks.common import write_json as write
from benchmarks.synth import synthetic_index


def disk_breakdown(index_dir) -> dict[str, int]:  # type: ignore[no-untyped-def]
    from index.store.generations import current_generation

    generation = current_generation(index_dir)
    sizes: dict[str, int] = {}
    for path in generation.rglob("*"):
        if path.is_file():
            top = path.relative_to(generation).parts[0]
            sizes[top] = sizes.get(top, 0) + path.stat().st_size
    return sizes


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1k,10k,100k")
    parser.add_argument("--large", action="store_true")
    args = parser.parse_args()
    sizes = parse_sizes(args.sizes) + ([1_000_000] if args.large else [])
    print(f"load average at start: {load_average()}")
    rows = []
    for n in sizes:
        index_dir = synthetic_index(n)
        env = {**os.environ, "PYTHONPATH": str(ROOT), "VENDORCHECK_MODEL_CACHE": str(model_cache())}
        out = subprocess.run(
            [sys.executable, "-m", "benchmarks._probe", str(index_dir), "--queries", "50"],
            env=env,
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        info = json.loads(out.strip().splitlines()[-1])
        disk = disk_breakdown(index_dir)
        index_mb = info["rss_mb"]["index_loaded"] - info["rss_mb"]["imports"]
        rows.append(
            {
                "passages": n,
                "dense": info["dense"],
                "peak_rss_mb": info["peak_rss_mb"],
                "rss_mb": info["rss_mb"],
                "index_rss_mb": round(index_mb, 1),
                "index_rss_bytes_per_passage": round(index_mb * 2**20 / n, 1),
                "disk_bytes": disk,
                "disk_bytes_per_passage": {k: round(v / n, 1) for k, v in disk.items()},
            }
        )
        print(f"  {label(n)}: peak {info['peak_rss_mb']} MB", flush=True)
    print_table(
        [
            "passages",
            "dense",
            "peak RSS MB",
            "after imports",
            "+index",
            "+model",
            "index B/passage (RSS)",
            "disk B/passage",
        ],
        [
            [
                label(r["passages"]),
                r["dense"],
                r["peak_rss_mb"],
                r["rss_mb"]["imports"],
                r["index_rss_mb"],
                round(r["rss_mb"]["model_loaded"] - r["rss_mb"]["index_loaded"], 1),
                r["index_rss_bytes_per_passage"],
                " ".join(f"{k}:{v:.0f}" for k, v in sorted(r["disk_bytes_per_passage"].items())),
            ]
            for r in rows
        ],
        title="Memory of a serving process (fresh process per size)",
    )
    path = write("memory", {"rows": rows})
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
