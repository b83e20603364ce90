"""Fit the ranking constants on the development half of the real set; report the held-out half.

    python -m benchmarks.fit_ranking [--corpus DIR] [--questions FILE] [--write]

The set is `tests/fixtures/realeval/` (US-government texts, public domain, with labelled
questions; each question carries `split`: dev or test). Three stages, each on dev only:

1. `alpha` and `passage_vendor_bonus`: a grid, best MRR@10 over the answerable questions that
   are not bare vendor names (abstention off, so the threshold does not interfere).
2. `brief_action_weight`: a grid, best MRR@10 over the bare vendor names (briefs).
3. `min_evidence`: the cut on the best candidate's cosine that separates answerable from no-coverage
   questions with the fewest errors (widest margin among ties), over the questions the
   threshold applies to (not briefs, not those abstained by name).

Ties go to the value nearest the middle of its grid (the least extreme choice). `--write`
stores the result in `index/search/params.json` with the data it came from. The tables printed
at the end are the same as `vendorcheck eval FILE`: held-out first.
"""

from __future__ import annotations

import argparse
import itertools
import json
import os
import sys
import tempfile
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(REPO))
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from bot.cli.evaluate import (  # noqa: E402
    DEPTH,
    PART_TITLES,
    Question,
    first_hit,
    format_table,
    load_questions,
    run,
)
from index.embed.loader import load_embedder  # noqa: E402
from index.embed.model import model_id_for  # noqa: E402
from index.search.params import PARAMS_FILE, RankingParams  # noqa: E402
from index.search.retriever import Retriever  # noqa: E402
from index.store.builder import build_index  # noqa: E402
from index.store.reader import open_index  # noqa: E402

REALEVAL = REPO / "tests/fixtures/realeval"
ALPHAS = (0.2, 0.3, 0.4, 0.5, 0.6, 0.7, 0.8)
BONUSES = (0.0, 0.025, 0.05, 0.1, 0.2)
ACTION_WEIGHTS = (0.0, 0.2, 0.4, 0.5, 0.6, 0.8, 1.0)


def mrr(retriever: Retriever, questions: list[Question]) -> float:
    total = 0.0
    for q in questions:
        rank = first_hit(retriever.ask(q.question, k=DEPTH).to_json(), q.expected)
        total += 1 / rank if rank and rank <= DEPTH else 0.0
    return total / max(len(questions), 1)


def best_of(grid: list[tuple], score) -> tuple:  # type: ignore[no-untyped-def]
    """The best-scoring point; among ties, the one nearest the grid's middle."""
    scored = [(score(point), point) for point in grid]
    top = max(s for s, _ in scored)
    ties = [p for s, p in scored if s >= top - 1e-9]
    return ties[len(ties) // 2]


def calibrate(points: list[tuple[float, bool]]) -> float:
    """Abstain below the returned cut; points are (best score, answerable)."""
    if not points:
        return 0.0
    scores = sorted({s for s, _ in points})
    cuts = [scores[0] - 0.01] + [(a + b) / 2 for a, b in itertools.pairwise(scores)]
    cuts.append(scores[-1] + 0.01)

    def errors(cut: float) -> int:
        return sum((s >= cut) != answerable for s, answerable in points)

    fewest = min(errors(c) for c in cuts)
    optimal = [c for c in cuts if errors(c) == fewest]
    return max(optimal, key=lambda c: min(abs(s - c) for s, _ in points))


def fit(stored, embedder, dev: list[Question]) -> RankingParams:  # type: ignore[no-untyped-def]
    probe = Retriever(stored, embedder, RankingParams(min_evidence=-1.0))
    plans = {q.question: probe.planner.plan(q.question) for q in dev}
    briefs = [q for q in dev if not q.expect_none and plans[q.question].bare]
    answers = [q for q in dev if not q.expect_none and not plans[q.question].bare]
    base = RankingParams(min_evidence=-1.0)
    alpha, bonus = best_of(
        [(a, b) for a in ALPHAS for b in BONUSES],
        lambda p: mrr(
            Retriever(stored, embedder, base.with_values(alpha=p[0], passage_vendor_bonus=p[1])),
            answers,
        ),
    )
    base = base.with_values(alpha=alpha, passage_vendor_bonus=bonus)
    (weight,) = best_of(
        [(w,) for w in ACTION_WEIGHTS],
        lambda p: mrr(
            Retriever(stored, embedder, base.with_values(brief_action_weight=p[0])), briefs
        ),
    )
    base = base.with_values(brief_action_weight=weight)
    tuned = Retriever(stored, embedder, base)
    points = []
    for q in dev:
        plan = plans[q.question]
        if plan.bare or plan.vendorlike or plan.identifiers:
            continue  # a brief, a named vendor or a cited rule: the threshold does not apply
        if plan.missing and plan.name_like:
            continue  # abstained on by name
        rows, _, evidence = tuned.rank(plan, tuned.named_parts(plan))
        if len(rows):
            points.append((evidence, not q.expect_none))
    return base.with_values(min_evidence=round(calibrate(points), 4))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=str(REALEVAL / "corpus"))
    parser.add_argument("--questions", default=str(REALEVAL / "questions.jsonl"))
    parser.add_argument("--write", action="store_true", help=f"write {PARAMS_FILE.name}")
    parser.add_argument(
        "--model-cache",
        default=os.environ.get("VENDORCHECK_TEST_MODEL_CACHE", str(REPO / ".vendorcheck/models")),
    )
    args = parser.parse_args()
    embedder = load_embedder("all-MiniLM-L6-v2", backend="onnx", cache_root=Path(args.model_cache))
    questions = load_questions(Path(args.questions))
    dev = [q for q in questions if q.split == "dev"]
    test = [q for q in questions if q.split == "test"]
    if not dev or not test:
        print("the questions need a split field (dev/test)", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        index_dir = Path(tmp) / "index"
        build_index(
            Path(args.corpus), index_dir, model_id_for("all-MiniLM-L6-v2"), lambda: embedder
        )
        stored = open_index(index_dir, None)
        params = fit(stored, embedder, dev)
        print("fitted on dev:", json.dumps(params.to_json()))
        for name, part in (("test", test), ("dev", dev)):
            print(f"\n{PART_TITLES[name]}")
            print(format_table(run(stored, embedder, part, params=params)))
    if args.write:
        record = {
            "params": params.to_json(),
            "fitted_on": {
                "questions": str(Path(args.questions).resolve().relative_to(REPO)),
                "split": "dev",
                "count": len(dev),
                "command": "python -m benchmarks.fit_ranking --write",
            },
        }
        PARAMS_FILE.write_text(json.dumps(record, indent=2) + "\n", encoding="utf-8")
        print(f"\nwrote {PARAMS_FILE.relative_to(REPO)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
