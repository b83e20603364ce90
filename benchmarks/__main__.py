"""Run every benchmark at its default sizes, in sequence: `python -m benchmarks [--large]`.

Each script prints its table and writes benchmarks/out/<name>.json; see benchmarks/RESULTS.md.
"""

from __future__ import annotations

import subprocess
import sys
import time

SCRIPTS = [
    "benchmarks.query_latency",
    "benchmarks.build_throughput",
    "benchmarks.embedding_variants",
    "benchmarks.cold_start",
    "benchmarks.memory",
    "benchmarks.dense_scaling",
    "benchmarks.slack_path",
]
LARGE_AWARE = {
    "benchmarks.query_latency",
    "benchmarks.cold_start",
    "benchmarks.memory",
    "benchmarks.dense_scaling",
}


def main() -> int:
    large = "--large" in sys.argv[1:]
    started = time.perf_counter()
    for module in SCRIPTS:
        print(f"\n=== {module} ===", flush=True)
        args = [sys.executable, "-m", module] + (
            ["--large"] if large and module in LARGE_AWARE else []
        )
        if subprocess.run(args).returncode != 0:
            print(f"{module} failed", file=sys.stderr)
            return 1
    print(f"\nall benchmarks: {time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
