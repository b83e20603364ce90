"""Answers before and after a speed change: dump every `Answer`'s JSON, then diff two dumps.

    python -m benchmarks.answer_identity dump benchmarks/out/answers-before.jsonl
    ... change the code ...
    python -m benchmarks.answer_identity dump benchmarks/out/answers-after.jsonl
    python -m benchmarks.answer_identity diff benchmarks/out/answers-before.jsonl \
        benchmarks/out/answers-after.jsonl

`dump` asks, with official-list status on (as `vendorcheck ask` does), every question of
tests/fixtures/realeval/questions*.jsonl against that corpus's index (built once into
benchmarks/out/cache/realeval-index, reused while the corpus and code leave it current) and
`--synthetic` questions of each workload (`synth.queries`, `synth.topic_queries`) against the
synthetic index of `--size` (cached, see benchmarks/synth.py). Each line is one question and
its `Answer.to_json()` (results, order, scores, highlights, notices, status, index), written
with sorted keys. Every question is asked twice, the second pass after all the first: an
answer that depends on what was asked before (a cache) fails the dump itself.

`diff` prints each question whose answer differs (the first differing field) and exits 1 if
any does, 0 when the two dumps are byte-identical question by question. `--any-generation`
leaves out the index generation's name (`Answer.index["generation"]`, a build's timestamp):
for a change that rebuilds the indexes, where everything else must still be identical.
"""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path

from benchmarks.common import CACHE, parse_sizes
from benchmarks.synth import load_embedder, queries, synthetic_index, topic_queries

REPO = Path(__file__).resolve().parent.parent
REALEVAL = REPO / "tests/fixtures/realeval"


def realeval_index(embedder) -> Path:  # type: ignore[no-untyped-def]
    from index.embed.model import model_id_for
    from index.store.builder import build_index

    index_dir = CACHE / "realeval-index"
    build_index(REALEVAL / "corpus", index_dir, model_id_for("all-MiniLM-L6-v2"), lambda: embedder)
    return index_dir


def real_questions() -> list[str]:
    from bot.cli.evaluate import load_questions

    return [
        q.question
        for path in sorted(REALEVAL.glob("questions*.jsonl"))
        for q in load_questions(path)
    ]


def answers(index_dir: Path, embedder, questions: list[str]) -> list[str]:  # type: ignore[no-untyped-def]
    """One JSON line per question: asked twice (all, then all again), both passes equal."""
    from index.config import EngineConfig
    from index.lists.answers import ListStatusProvider
    from index.search.retriever import Retriever
    from index.store.reader import open_index

    stored = open_index(index_dir, None, mmap=True)
    retriever = Retriever(stored, embedder, lists=ListStatusProvider(EngineConfig.from_env()))

    def one_pass() -> list[str]:
        return [
            json.dumps({"question": q, "answer": retriever.ask(q).to_json()}, sort_keys=True)
            for q in questions
        ]

    first, second = one_pass(), one_pass()
    unstable = [q for q, a, b in zip(questions, first, second, strict=True) if a != b]
    if unstable:
        raise SystemExit(f"answers changed on a second pass ({len(unstable)}): {unstable[0]!r}")
    return first


def dump(out: Path, size: int, synthetic: int) -> None:
    embedder = load_embedder()
    lines = answers(realeval_index(embedder), embedder, real_questions())
    print(f"realeval: {len(lines)} answers")
    if synthetic:
        asked = queries(synthetic, seed=7) + topic_queries(synthetic, seed=8)
        synth_lines = answers(synthetic_index(size, embedder), embedder, asked)
        print(f"synthetic {size:,}: {len(synth_lines)} answers")
        lines += synth_lines
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text("\n".join(lines) + "\n", encoding="utf-8")
    print(f"wrote {out}")


def first_difference(a: object, b: object, where: str = "") -> str:
    if type(a) is not type(b):
        return f"{where or '.'}: {a!r} != {b!r}"
    if isinstance(a, dict) and isinstance(b, dict):
        for key in sorted(set(a) | set(b)):
            if a.get(key) != b.get(key):
                return first_difference(a.get(key), b.get(key), f"{where}.{key}")
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{where}: {len(a)} items != {len(b)}"
        for i, (x, y) in enumerate(zip(a, b, strict=True)):
            if x != y:
                return first_difference(x, y, f"{where}[{i}]")
    return f"{where or '.'}: {a!r} != {b!r}"


def _without_generation(line: str) -> str:
    record = json.loads(line)
    record["answer"].get("index", {}).pop("generation", None)
    return json.dumps(record, sort_keys=True)


def diff(before: Path, after: Path, any_generation: bool = False) -> int:
    old = before.read_text(encoding="utf-8").splitlines()
    new = after.read_text(encoding="utf-8").splitlines()
    if any_generation:
        old, new = [_without_generation(x) for x in old], [_without_generation(x) for x in new]
    if len(old) != len(new):
        print(f"{len(old)} answers in {before}, {len(new)} in {after}")
        return 1
    differing = 0
    for a, b in zip(old, new, strict=True):
        if a != b:
            differing += 1
            x, y = json.loads(a), json.loads(b)
            print(f"{x['question']!r}: {first_difference(x['answer'], y['answer'])}")
    print(f"{len(old)} answers compared, {differing} differ")
    return 1 if differing else 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    commands = parser.add_subparsers(dest="command", required=True)
    dumping = commands.add_parser("dump", help="write every answer's JSON, one line each")
    dumping.add_argument("out", type=Path)
    dumping.add_argument("--size", default="100k", help="synthetic index size")
    dumping.add_argument("--synthetic", type=int, default=200, help="questions per workload")
    diffing = commands.add_parser("diff", help="compare two dumps")
    diffing.add_argument("before", type=Path)
    diffing.add_argument("after", type=Path)
    diffing.add_argument(
        "--any-generation", action="store_true", help="ignore the index generation's name"
    )
    args = parser.parse_args()
    if args.command == "dump":
        dump(args.out, parse_sizes(args.size)[0], args.synthetic)
        return 0
    return diff(args.before, args.after, args.any_generation)


if __name__ == "__main__":
    sys.exit(main())
