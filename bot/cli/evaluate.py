"""`vendorcheck eval FILE`: score the retrieval pipelines on a labelled question set.

FILE is JSONL, one question per line::

    {"question": "is Quillon on the GSA schedule?", "expected": ["quillon-2022-06-15-gsa-removal"]}
    {"question": "is Acme allowed?", "expect_none": true}

Optional fields: `kind` (what sort of question) and `split` ("dev" or "test"). When splits are
given, the table is printed for the held-out "test" part (the ranking constants in
index/search/params.py are fitted on "dev" only, by benchmarks/fit_ranking.py) and then for
"dev"; `-v` lists the held-out misses.

`expected` lists article ids; any of them counts as a hit (a near-duplicate listed in a result's
`also_in` counts too: the reader sees it). `expect_none` questions should get no results.

Printed side by side for dense-only, lexical-only and the shipped (hybrid) pipeline:
hit@1, hit@3, MRR@10 over the answerable questions, and abstention precision/recall over all.
"""

from __future__ import annotations

import argparse
import json
import sys
from dataclasses import asdict, dataclass, field
from pathlib import Path

from index import VendorcheckError

PIPELINES = ("dense", "lexical", "hybrid")
LABELS = {"dense": "dense-only", "lexical": "lexical-only", "hybrid": "shipped"}
DEPTH = 10


@dataclass(frozen=True)
class Question:
    question: str
    expected: tuple[str, ...] = ()
    expect_none: bool = False
    kind: str = ""  # vendor, allowed, law, date, subsidiary, practical, comparison, typo, ...
    split: str = ""  # "dev" (constants are fitted on it) or "test" (held out), if assigned


@dataclass
class Metrics:
    pipeline: str
    questions: int = 0
    answerable: int = 0
    hit1: float = 0.0
    hit3: float = 0.0
    mrr10: float = 0.0
    abstain_precision: float = 0.0
    abstain_recall: float = 0.0
    abstained: int = 0
    misses: list[dict] = field(default_factory=list)

    def row(self) -> dict:
        data = asdict(self)
        data.pop("misses")
        return data


def load_questions(path: Path) -> list[Question]:
    """Read and validate the JSONL file; a bad line is a one-line error naming it."""
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise VendorcheckError(f"cannot read {path}: {exc.strerror}") from None
    except UnicodeDecodeError:
        raise VendorcheckError(f"{path} is not UTF-8 text") from None
    questions: list[Question] = []
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        where = f"{path.name} line {number}"
        try:
            record = json.loads(line)
        except ValueError:
            raise VendorcheckError(f"{where} is not JSON") from None
        if not isinstance(record, dict) or not str(record.get("question", "")).strip():
            raise VendorcheckError(f'{where} has no "question"')
        expected = record.get("expected", record.get("expected_ids", [])) or []
        if isinstance(expected, str):
            expected = [expected]
        none = bool(record.get("expect_none", False))
        if not isinstance(expected, list) or (not expected and not none):
            raise VendorcheckError(f'{where} needs "expected" article ids or "expect_none": true')
        if expected and none:
            raise VendorcheckError(f'{where} has both "expected" and "expect_none"')
        questions.append(
            Question(
                str(record["question"]),
                tuple(map(str, expected)),
                none,
                str(record.get("kind", "")),
                str(record.get("split", "")),
            )
        )
    if not questions:
        raise VendorcheckError(f"{path} holds no questions")
    return questions


def first_hit(answer_json: dict, expected: tuple[str, ...]) -> int | None:
    """1-based rank (over distinct articles shown) of the first expected article, if any."""
    seen: list[str] = []
    for result in answer_json["results"]:
        ids = [result["article"]["id"], *(a["id"] for a in result.get("also_in", []))]
        if result["article"]["id"] in seen:
            continue
        seen.append(result["article"]["id"])
        if any(i in expected for i in ids):
            return len(seen)
    return None


def score(pipeline: str, questions: list[Question], answers: list[dict]) -> Metrics:
    m = Metrics(pipeline, questions=len(questions))
    true_abstain = 0
    none_questions = sum(q.expect_none for q in questions)
    for q, answer in zip(questions, answers, strict=True):
        abstained = not answer["results"]
        m.abstained += abstained
        if q.expect_none:
            true_abstain += abstained
            if not abstained:
                m.misses.append(
                    {"question": q.question, "got": answer["results"][0]["article"]["id"]}
                )
            continue
        m.answerable += 1
        rank = first_hit(answer, q.expected)
        if rank == 1:
            m.hit1 += 1
        if rank is not None and rank <= 3:
            m.hit3 += 1
        if rank is not None and rank <= DEPTH:
            m.mrr10 += 1 / rank
        if rank != 1:
            got = answer["results"][0]["article"]["id"] if answer["results"] else None
            m.misses.append({"question": q.question, "expected": list(q.expected), "got": got})
    if m.answerable:
        m.hit1, m.hit3, m.mrr10 = (x / m.answerable for x in (m.hit1, m.hit3, m.mrr10))
    m.abstain_precision = true_abstain / m.abstained if m.abstained else float(not none_questions)
    m.abstain_recall = true_abstain / none_questions if none_questions else 1.0
    return m


def run(
    stored, embedder, questions: list[Question], pipelines=PIPELINES, **options
) -> list[Metrics]:  # type: ignore[no-untyped-def]
    """Answer every question with every pipeline (one loaded index, one embedder)."""
    from index import Retriever
    from index.search.baselines import BaselineRetriever

    out = []
    for pipeline in pipelines:
        if pipeline == "hybrid":
            retriever = Retriever(stored, embedder, **options)
        else:
            retriever = BaselineRetriever(stored, embedder, pipeline)
        answers = [retriever.ask(q.question, k=DEPTH).to_json() for q in questions]
        out.append(score(pipeline, questions, answers))
    return out


def format_table(metrics: list[Metrics]) -> str:
    rows = [
        ("hit@1", "hit1"),
        ("hit@3", "hit3"),
        ("MRR@10", "mrr10"),
        ("abstain precision", "abstain_precision"),
        ("abstain recall", "abstain_recall"),
    ]
    head = f"{'':<18}" + "".join(f"{LABELS.get(m.pipeline, m.pipeline):>14}" for m in metrics)
    lines = [head]
    for label, attr in rows:
        lines.append(f"{label:<18}" + "".join(f"{getattr(m, attr):>14.3f}" for m in metrics))
    n = metrics[0]
    lines.append(
        f"({n.questions} questions: {n.answerable} answerable, {n.questions - n.answerable} expect none)"
    )
    return "\n".join(lines)


def cmd_eval(args: argparse.Namespace, config) -> int:  # type: ignore[no-untyped-def]
    from index import build, make_embedder, model_id_for, open_index

    questions = load_questions(Path(args.file))
    if args.corpus:
        build(config, progress=sys.stderr.isatty())
    stored = open_index(config.index_dir, model_id_for(config.model))
    known = {a.id for a in stored.articles}
    unknown = sorted({i for q in questions for i in q.expected if i not in known})
    if unknown:
        raise VendorcheckError(
            f"{args.file} expects articles the index does not hold: {', '.join(unknown[:5])}"
        )
    embedder = make_embedder(config)
    parts = split_parts(questions)
    results = {name: run(stored, embedder, qs) for name, qs in parts.items()}
    if args.json:
        print(
            json.dumps(
                {
                    name: {m.pipeline: {**m.row(), "misses": m.misses} for m in metrics}
                    for name, metrics in results.items()
                }
                if len(parts) > 1
                else {m.pipeline: {**m.row(), "misses": m.misses} for m in results["all"]}
            )
        )
        return 0
    for name, metrics in results.items():
        if len(parts) > 1:
            print(f"\n{PART_TITLES[name]}")
        print(format_table(metrics))
        if args.verbose and name in ("all", "test"):
            for m in metrics:
                for miss in m.misses:
                    print(f"  [{LABELS[m.pipeline]}] miss: {json.dumps(miss, ensure_ascii=False)}")
    return 0


PART_TITLES = {
    "test": "Held out (split=test; nothing was fitted on these)",
    "dev": "Development (split=dev; the ranking constants were fitted on these)",
}


def split_parts(questions: list[Question]) -> dict[str, list[Question]]:
    """{"test": [...], "dev": [...]} when the file assigns splits, else {"all": questions}."""
    test = [q for q in questions if q.split == "test"]
    dev = [q for q in questions if q.split == "dev"]
    if test and dev and len(test) + len(dev) == len(questions):
        return {"test": test, "dev": dev}
    return {"all": questions}


def register_cli(sub, common, corpus) -> None:  # type: ignore[no-untyped-def]
    p = sub.add_parser(
        "eval",
        parents=[common, corpus],
        help="score dense-only, lexical-only and the shipped pipeline on labelled questions",
    )
    p.add_argument(
        "file", metavar="FILE", help="JSONL: question + expected article ids, or expect_none"
    )
    p.add_argument("--json", action="store_true", help="print the metrics as one JSON object")
    p.add_argument("-v", "--verbose", action="store_true", help="list the misses too")
    p.set_defaults(handler=cmd_eval)
