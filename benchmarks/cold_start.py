"""Cold start: process start to a real answer with quotes (`python -m bot ask ...`), by size.

    python -m benchmarks.cold_start                    # bundled corpus, 1k, 10k, 100k passages
    python -m benchmarks.cold_start --large            # adds 1M
    python -m benchmarks.cold_start --sizes 100k --repeats 10

For each index, a question about a vendor that index holds: Kaspersky on the bundled corpus,
the first synthetic vendor ("is Tolbri Networks allowed on GSA?", named in every
synthetic size) on the synthetic ones. Measured: the wall time of `python -m bot ask QUESTION
-k 3 --json` in a fresh process (what a user waits for; page cache warm, as after any previous
run), and every run's JSON is checked to hold quotes, so the time is that of an answer, not of
"nothing in the corpus". Then the same start-up split into phases by benchmarks/_probe.py
(interpreter, imports, index load, model load, first answer, plus the Slack libraries a serving
process imports). Also checks, with `python -X importtime`, that the ask path never imports
torch, sentence-transformers, transformers or scikit-learn, and lists the slowest imports.
"""

from __future__ import annotations

import argparse
import json
import os
import re
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from benchmarks.common import ROOT, label, load_average, model_cache, parse_sizes, print_table
from benchmarks.common import write_json as write
from benchmarks.synth import synthetic_index

QUESTION = "is Kaspersky allowed on GSA?"


def synthetic_question() -> str:
    """A question about the vendor of synthetic article 0 (present at every size)."""
    from benchmarks.synth import TextModel

    return f"is {TextModel().vendors[0]} allowed on GSA?"


HEAVY = ("torch", "sentence_transformers", "transformers", "sklearn")


def _env(index_dir: Path) -> dict[str, str]:
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "VENDORCHECK_INDEX_DIR": str(index_dir),
        "VENDORCHECK_MODEL_CACHE": str(model_cache()),
        "HF_HUB_OFFLINE": "1",
        "NO_COLOR": "1",
    }


def bundled_index() -> Path:
    from index.embed.loader import load_embedder
    from index.embed.model import model_id_for
    from index.store.builder import build_index

    index_dir = Path(tempfile.mkdtemp(prefix="vc-bench-cold-")) / "index"
    build_index(
        ROOT / "corpus",
        index_dir,
        model_id_for("all-MiniLM-L6-v2"),
        lambda: load_embedder("all-MiniLM-L6-v2", cache_root=model_cache()),
    )
    return index_dir


def ask_wall(index_dir: Path, question: str, repeats: int) -> tuple[list[float], int]:
    """Wall seconds of each fresh `ask`, and the quotes its answer held (the same every run)."""
    times, quotes = [], set()
    for _ in range(repeats):
        started = time.perf_counter()
        done = subprocess.run(
            [sys.executable, "-m", "bot", "ask", question, "-k", "3", "--json"],
            env=_env(index_dir),
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        )
        times.append(time.perf_counter() - started)
        quotes.add(len(json.loads(done.stdout)["results"]))
    if quotes == {0} or len(quotes) != 1:
        raise SystemExit(f"{index_dir}: {question!r} got {sorted(quotes)} quotes, not an answer")
    return times, quotes.pop()


def probe(index_dir: Path, question: str, repeats: int) -> dict:
    runs = []
    for _ in range(repeats):
        out = subprocess.run(
            [
                sys.executable,
                "-m",
                "benchmarks._probe",
                str(index_dir),
                "--serve",
                "--question",
                question,
            ],
            env=_env(index_dir),
            cwd=ROOT,
            capture_output=True,
            text=True,
            check=True,
        ).stdout
        runs.append(json.loads(out.strip().splitlines()[-1]))
    phases = {k: float(np.median([r["phases_s"][k] for r in runs])) for k in runs[0]["phases_s"]}
    return {**runs[0], "phases_s": {k: round(v, 3) for k, v in phases.items()}}


def importtime(index_dir: Path) -> dict:
    done = subprocess.run(
        [sys.executable, "-X", "importtime", "-m", "bot", "ask", QUESTION],
        env=_env(index_dir),
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    top: dict[str, int] = {}
    heavy = set()
    for line in done.stderr.splitlines():
        match = re.match(r"import time:\s+(\d+) \|\s+(\d+) \|( *)(\S+)", line)
        if not match:
            continue
        cumulative, depth, name = int(match.group(2)), len(match.group(3)), match.group(4)
        if name.split(".")[0] in HEAVY:
            heavy.add(name.split(".")[0])
        if depth <= 2:
            top[name] = cumulative
    slowest = sorted(top.items(), key=lambda kv: -kv[1])[:8]
    return {
        "heavy_modules_imported": sorted(heavy),
        "slowest_top_level_ms": {k: round(v / 1000, 1) for k, v in slowest},
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--sizes", default="1k,10k,100k", help="synthetic sizes beside the corpus")
    parser.add_argument("--large", action="store_true", help="also 1M passages")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    sizes = parse_sizes(args.sizes) + ([1_000_000] if args.large else [])
    print(f"load average at start: {load_average()}")
    targets = [("bundled corpus", bundled_index(), QUESTION)] + [
        (label(n), synthetic_index(n), synthetic_question()) for n in sizes
    ]
    rows = []
    for name, index_dir, question in targets:
        walls, quotes = ask_wall(index_dir, question, args.repeats)
        info = probe(index_dir, question, max(1, args.repeats // 2))
        rows.append(
            {
                "index": name,
                "question": question,
                "quotes": quotes,
                "passages": info["passages"],
                "ask_wall_s": [round(x, 3) for x in walls],
                "ask_wall_median_s": round(float(np.median(walls)), 3),
                "phases_s": info["phases_s"],
                "rss_mb": info["rss_mb"],
                "heavy_modules_loaded": info["heavy_modules_loaded"],
                "load_average": load_average(),
                "first_answer": info["first_answer"],
            }
        )
        print(f"  {name}: ask {rows[-1]['ask_wall_median_s']} s", flush=True)
    imports = importtime(targets[0][1])
    for r in rows:
        print(
            f"  {r['index']}: {r['question']!r} -> {r['quotes']} quotes, load {r['load_average']}"
        )

    def step(phases: dict, key: str, before: str) -> str:
        return f"{phases[key] - phases[before]:.2f}"

    print_table(
        [
            "index",
            "passages",
            "quotes",
            "ask wall (median)",
            "interp",
            "imports",
            "index load",
            "model load",
            "1st answer",
            "ready (+slack libs)",
            "load",
        ],
        [
            [
                r["index"],
                r["passages"],
                r["quotes"],
                f"{r['ask_wall_median_s']:.2f}",
                f"{r['phases_s']['interpreter']:.2f}",
                step(r["phases_s"], "imports", "interpreter"),
                step(r["phases_s"], "index_loaded", "imports"),
                step(r["phases_s"], "model_loaded", "index_loaded"),
                step(r["phases_s"], "first_answer", "model_loaded"),
                f"{r['phases_s']['slack_imports']:.2f}",
                f"{r['load_average'][0]:.2f}",
            ]
            for r in rows
        ],
        title="Cold start, seconds (phases: median of probe runs, from interpreter start)",
    )
    print(f"\nheavy modules on the ask path: {imports['heavy_modules_imported'] or 'none'}")
    print("slowest imports (cumulative ms):", imports["slowest_top_level_ms"])
    path = write("cold_start", {"rows": rows, "importtime": imports})
    print(f"\nwrote {path}")


if __name__ == "__main__":
    main()
