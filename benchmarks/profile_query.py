"""Where the answer path spends its time: a pyinstrument profile of `Retriever.ask`.

    python -m benchmarks.profile_query --size 100k                  # both workloads
    python -m benchmarks.profile_query --size 100k --workload nothing --rounds 5

Opens the synthetic index of that size (cached, see benchmarks/synth.py) as
`benchmarks.query_latency` does (ONNX embedder, official-list status on), warms up on one set
of questions, then profiles `--rounds` passes over fresh ones (`query_latency.question_sets`:
no pass re-asks an earlier question, so per-passage caches are as warm as on real traffic, not
more) and prints pyinstrument's call tree (time per call = the figure / (rounds x questions)). `pip install pyinstrument` (the `bench` extra).
"""

from __future__ import annotations

import argparse

from benchmarks.common import parse_sizes
from benchmarks.synth import load_embedder


def main() -> None:
    from pyinstrument import Profiler

    from benchmarks.query_latency import open_path, question_sets

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default="100k")
    parser.add_argument("--workload", choices=("vendor", "nothing", "both"), default="both")
    parser.add_argument("--queries", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=3)
    parser.add_argument("--interval", type=float, default=0.0001, help="sampling, seconds")
    args = parser.parse_args()
    embedder = load_embedder()
    retriever, _, _ = open_path(parse_sizes(args.size)[0], embedder)
    sets = question_sets(args.queries, args.rounds)
    workload = {"vendor": 0, "nothing": 1}.get(args.workload)  # interleaved: vendor first
    if workload is not None:
        sets = [questions[workload::2] for questions in sets]
    for question in sets[0]:
        retriever.ask(question)
    profiler = Profiler(interval=args.interval)
    profiler.start()
    for questions in sets[1:]:
        for question in questions:
            retriever.ask(question)
    profiler.stop()
    print(f"{args.rounds} x {len(sets[1])} asks")
    print(profiler.output_text(unicode=False, color=False))


if __name__ == "__main__":
    main()
