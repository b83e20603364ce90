"""The ranking constants, in one typed place, with where each value comes from.

Every number here is *fitted*, not chosen: `benchmarks/fit_ranking.py` searches a grid on the
development half of the real evaluation set (`tests/fixtures/realeval/`, real government texts
with labelled questions), keeps the best setting by MRR@10 with ties broken towards simpler
values, and writes `params.json` next to this file. `vendorcheck eval` then reports the
held-out half. The fictional fixture (`tests/fixtures/eval/`) is a behaviour test only; nothing
is tuned on it.

A missing or unreadable `params.json` falls back to the defaults below (the last fitted values
copied in), so a broken file can never stop the engine.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path

PARAMS_FILE = Path(__file__).with_name("params.json")


@dataclass(frozen=True)
class RankingParams:
    # Passage score: alpha * cosine + (1 - alpha) * bm25 / LexicalIndex.ceiling (convex fusion).
    alpha: float = 0.5
    # Added when the passage itself names a vendor the question names (its article always
    # does: a question naming a vendor is answered from articles that name it).
    passage_vendor_bonus: float = 0.05
    # Abstain when no candidate passage reaches this cosine to the question (briefs and
    # questions abstained on by name aside).
    min_evidence: float = 0.35
    # Bare vendor name (a brief): how decisive a passage reads (cosine to a description of a
    # government action) against how much it is about the vendor (cosine to the name).
    brief_action_weight: float = 0.5
    # Candidates gathered per retriever before fusion.
    candidates: int = 50

    def with_values(self, **values: float) -> RankingParams:
        return replace(self, **values)

    def to_json(self) -> dict:
        return asdict(self)


def load_params(path: Path = PARAMS_FILE) -> RankingParams:
    """The fitted parameters, or the defaults when the file is missing or malformed."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return RankingParams()
    values = data.get("params", data) if isinstance(data, dict) else {}
    known = {f.name: f.type for f in fields(RankingParams)}
    clean = {}
    for name, value in values.items():
        if name in known and isinstance(value, int | float) and not isinstance(value, bool):
            clean[name] = int(value) if name == "candidates" else float(value)
    return RankingParams(**clean)
