"""Answer quality on the labelled fixture set: pipelines, fusion choice, abstention threshold.

    python benchmarks/quality.py [--corpus DIR] [--questions FILE] [--json OUT]

Prints three tables and writes them as JSON (default benchmarks/out/quality.json):

1. **Pipelines** — dense-only, lexical-only and shipped: hit@1, hit@3, MRR@10, abstention
   precision/recall (the same numbers as `vendorcheck eval`).
2. **Fusion** — the shipped pipeline with reciprocal rank fusion versus a linear blend
   `alpha * cosine + (1 - alpha) * bm25 / bm25_ceiling` for several alphas. `bm25_ceiling` is
   the sum over query terms of the best score that term reaches in any passage, so the lexical
   part is on a fixed 0..1 scale per query instead of being rescaled by the best hit.
3. **Abstention calibration** — for questions that name no vendor (the only route where the
   evidence threshold applies: a named unknown vendor abstains by name, a named covered vendor
   is answered from its own articles), the best passage's fused score with abstention off,
   labelled answerable / expect-none. The threshold `MIN_EVIDENCE` is the cut that classifies
   the most of these correctly; among equally good cuts, the midpoint of the widest gap between
   the two classes (the largest margin on both sides). The chosen value is printed; copy it into
   `index/retrieval.py` when the fixture set changes.
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

from bot.cli.evaluate import format_table, load_questions, run, score  # noqa: E402
from index.embed.loader import load_embedder  # noqa: E402
from index.embed.model import model_id_for  # noqa: E402
from index.search import retriever as retrieval  # noqa: E402
from index.search.retriever import Retriever  # noqa: E402
from index.store.builder import build_index  # noqa: E402
from index.store.reader import open_index  # noqa: E402

ALPHAS = (0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)


def calibrate(points: list[tuple[float, bool]]) -> tuple[float, int]:
    """(threshold, errors): abstain below threshold; points are (score, answerable)."""
    scores = sorted({s for s, _ in points})
    cuts = (
        [scores[0] - 0.01]
        + [(a + b) / 2 for a, b in itertools.pairwise(scores)]
        + [scores[-1] + 0.01]
    )

    def errors(cut: float) -> int:
        return sum((s >= cut) != answerable for s, answerable in points)

    best = min(errors(c) for c in cuts)
    optimal = [c for c in cuts if errors(c) == best]

    # Widest margin: the cut whose nearest point on either side is farthest away.
    def margin(cut: float) -> float:
        return min(abs(s - cut) for s, _ in points)

    return max(optimal, key=margin), best


def evidence_points(probe: Retriever, questions) -> list[tuple[float, bool, str]]:  # type: ignore[no-untyped-def]
    """(best fused score, answerable, question) for questions routed to the no-vendor path."""
    points = []
    for q in questions:
        match = probe.vendors.match(q.question, probe._known_word)
        if match.covered or match.passing:
            continue  # names something the corpus has: answered from those passages
        answer = probe.ask(q.question, k=10)
        if answer.kind == "answer" and answer.results:
            points.append((answer.results[0].score, not q.expect_none, q.question))
    return points


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpus", default=str(REPO / "tests/fixtures/eval/corpus"))
    parser.add_argument("--questions", default=str(REPO / "tests/fixtures/eval/questions.jsonl"))
    parser.add_argument("--json", default=str(REPO / "benchmarks/out/quality.json"))
    parser.add_argument(
        "--model-cache",
        default=os.environ.get("VENDORCHECK_TEST_MODEL_CACHE", str(REPO / ".vendorcheck/models")),
    )
    args = parser.parse_args()

    embedder = load_embedder("all-MiniLM-L6-v2", backend="onnx", cache_root=Path(args.model_cache))
    questions = load_questions(Path(args.questions))
    with tempfile.TemporaryDirectory() as tmp:
        index_dir = Path(tmp) / "index"
        build_index(
            Path(args.corpus), index_dir, model_id_for("all-MiniLM-L6-v2"), lambda: embedder
        )
        stored = open_index(index_dir, None)

        pipelines = run(stored, embedder, questions)
        print("Pipelines")
        print(format_table(pipelines))

        print("\nFusion (shipped pipeline; each variant with its own calibrated threshold)")
        fusion_rows = []
        variants = [("rrf", None)] + [("blend", a) for a in ALPHAS]
        for fusion, alpha in variants:
            options = {"fusion": fusion}
            if alpha is not None:
                options["alpha"] = alpha
            points = evidence_points(
                Retriever(stored, embedder, min_evidence=0.0, **options), questions
            )
            cut, _ = calibrate([(s, a) for s, a, _ in points]) if points else (0.0, 0)
            m = run(
                stored, embedder, questions, pipelines=("hybrid",), min_evidence=cut, **options
            )[0]
            label = "rrf" if fusion == "rrf" else f"blend a={alpha}"
            fusion_rows.append({"fusion": label, "threshold": cut, **m.row()})
            print(
                f"  {label:<14} hit@1 {m.hit1:.3f}  hit@3 {m.hit3:.3f}  MRR@10 {m.mrr10:.3f}  "
                f"abstain P {m.abstain_precision:.3f} R {m.abstain_recall:.3f}  (threshold {cut:.3f})"
            )

        print("\nAbstention calibration (questions naming no vendor)")
        points = evidence_points(Retriever(stored, embedder, min_evidence=0.0), questions)
        threshold, errors = calibrate([(s, a) for s, a, _ in points])
        for s, answerable, question in sorted(points):
            print(f"  {s:.3f}  {'answerable ' if answerable else 'expect-none'}  {question}")
        print(
            f"  -> MIN_EVIDENCE {threshold:.3f} ({errors} of {len(points)} misclassified); "
            f"shipped value {retrieval.MIN_EVIDENCE}"
        )
        shipped = score(
            "hybrid",
            questions,
            [Retriever(stored, embedder).ask(q.question, k=10).to_json() for q in questions],
        )
    out = {
        "pipelines": [m.row() for m in pipelines],
        "fusion": fusion_rows,
        "calibration": {
            "points": [{"score": s, "answerable": a, "question": q} for s, a, q in points],
            "threshold": threshold,
            "errors": errors,
            "shipped_threshold": retrieval.MIN_EVIDENCE,
        },
        "shipped": shipped.row(),
    }
    Path(args.json).parent.mkdir(parents=True, exist_ok=True)
    Path(args.json).write_text(json.dumps(out, indent=1))
    print(f"\nwrote {args.json}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
