"""Where the answer path spends its time: a pyinstrument profile of `Retriever.ask`.

    python -m benchmarks.profile_query --size 100k                  # both workloads
    python -m benchmarks.profile_query --size 100k --workload nothing --rounds 5

Opens the synthetic index of that size (cached, see benchmarks/synth.py) as
`benchmarks.query_latency` does (ONNX embedder, official-list status on), warms up on every
question, then profiles `--rounds` passes and prints pyinstrument's call tree (time per call
= the figure / (rounds x questions)). `pip install pyinstrument` (the `bench` extra).
"""

from __future__ import annotations

import argparse

from benchmarks.common import parse_sizes
from benchmarks.synth import load_embedder, queries, topic_queries


def main() -> None:
    from pyinstrument import Profiler

    from benchmarks.query_latency import open_path

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default="100k")
    parser.add_argument("--workload", choices=("vendor", "nothing", "both"), default="both")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--interval", type=float, default=0.0001, help="sampling, seconds")
    args = parser.parse_args()
    embedder = load_embedder()
    retriever, _, _ = open_path(parse_sizes(args.size)[0], embedder)
    questions = {"vendor": [], "nothing": []}
    if args.workload in ("vendor", "both"):
        questions["vendor"] = queries(args.queries)
    if args.workload in ("nothing", "both"):
        questions["nothing"] = topic_queries(args.queries)
    asked = questions["vendor"] + questions["nothing"]
    for question in asked:
        retriever.ask(question)
    profiler = Profiler(interval=args.interval)
    profiler.start()
    for _ in range(args.rounds):
        for question in asked:
            retriever.ask(question)
    profiler.stop()
    print(f"{args.rounds} x {len(asked)} asks")
    print(profiler.output_text(unicode=False, color=False))


if __name__ == "__main__":
    main()
