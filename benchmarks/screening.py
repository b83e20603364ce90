"""Screening quality and speed: `python -m benchmarks.screening`.

Positives are real name variants taken from the bundled CSL sample itself (moov-io/watchman's
test data, 115 entries): every alt_name as a query for its entry, the primary name with its
legal form stripped, with a legal form added, lower-cased without punctuation, persons' names in
"given family" order, and one adjacent-letter swap in the longest word. Negatives are real
companies that are on none of the lists (benchmarks/data/screening/negatives.txt).

A returned (query, entry) pair is correct when the entry is the expected one or a duplicate row
of it (same source list and same name); any other pair is a false positive. Recall is the share
of positives whose entry is returned. The threshold is fitted (best F1) on one half (by a hash of
the query) and reported on the other half, next to the shipped default and a few others.

Two settings: "shipped" indexes alt_names (as the product does); "aliases held out" indexes the
primary names only and queries with the alt_names, to show what normalisation and fuzzy
matching do on their own. Then the time to screen a 10k-name register (unique synthetic names
built from the words of real names) against the bundled snapshot and against a synthetic
20k-entry list, about the size of the full CSL.
"""

from __future__ import annotations

import hashlib
import random
import re
import time
from dataclasses import dataclass, replace
from pathlib import Path

from benchmarks.common import ROOT, write_json
from index.config import EngineConfig
from index.lists import ListEntry, ScreeningIndex, load_snapshot
from index.lists.normalize import normalize
from index.lists.screen import DEFAULT_THRESHOLD

DATA = Path(__file__).resolve().parent / "data" / "screening"
THRESHOLDS = (0.6, 0.7, DEFAULT_THRESHOLD, 0.8, 0.85, 0.9, 0.95)
LEGAL_ADD = ("Ltd.", "LLC", "Inc.", "GmbH", "S.A.")


@dataclass(frozen=True)
class Case:
    query: str
    expected: int | None  # entry index, None for a negative
    kind: str


def _typo(name: str) -> str | None:
    words = re.findall(r"[A-Za-z]{6,}", name)
    if not words:
        return None
    word = max(words, key=len)
    i = len(word) // 2
    swapped = word[:i] + word[i + 1] + word[i] + word[i + 2 :]
    return None if swapped == word else name.replace(word, swapped, 1)


def variants(entry: ListEntry) -> list[tuple[str, str]]:
    name = entry.name
    out = [(alt, "alt_name") for alt in entry.alt_names]
    norm = normalize(name)
    stripped = " ".join(w.capitalize() for w in norm.tokens)
    if stripped.lower() != name.lower():
        out.append((stripped, "legal form stripped"))
    if entry.entity_type != "Individual" and "," not in name:
        out.append((f"{name} {LEGAL_ADD[len(name) % len(LEGAL_ADD)]}", "legal form added"))
    out.append((re.sub(r"[^\w\s]", " ", name).lower(), "case/punctuation"))
    if entry.entity_type == "Individual" and "," in name:
        family, given = name.split(",", 1)
        out.append((f"{given.strip()} {family.strip().title()}", "name order"))
    typo = _typo(name)
    if typo:
        out.append((typo, "typo"))
    return out


def cases(entries: list[ListEntry], with_aliases: bool) -> list[Case]:
    out: list[Case] = []
    for i, entry in enumerate(entries):
        if entry.source != "csl":
            continue
        for query, kind in variants(entry):
            if with_aliases or kind == "alt_name":
                out.append(Case(query, i, kind))
    lines = (DATA / "negatives.txt").read_text(encoding="utf-8").splitlines()
    out += [Case(n.strip(), None, "negative") for n in lines if n.strip() and n[0] != "#"]
    return out


def half(case: Case) -> int:
    return hashlib.sha256(case.query.encode()).digest()[0] % 2


def results(index: ScreeningIndex, all_cases: list[Case]) -> list[tuple[Case, list]]:
    return [(c, index.screen(c.query, threshold=0.5)) for c in all_cases]


def metrics(scored, entries: list[ListEntry], threshold: float) -> dict[str, float]:
    tp = fp = found = positives = flagged = negatives = 0
    for case, matches in scored:
        kept = [m for m in matches if m.confidence >= threshold]
        if case.expected is None:
            negatives += 1
            flagged += bool(kept)
            fp += len(kept)
            continue
        positives += 1
        want = entries[case.expected]
        good = [m for m in kept if (m.entry.list_id, m.entry.name) == (want.list_id, want.name)]
        tp += len(good)
        fp += len(kept) - len(good)
        found += bool(good)
    precision = tp / (tp + fp) if tp + fp else 1.0
    recall = found / positives if positives else 0.0
    f1 = 2 * precision * recall / (precision + recall) if precision + recall else 0.0
    return {
        "threshold": threshold,
        "precision": precision,
        "recall": recall,
        "f1": f1,
        "negatives_flagged": flagged / negatives if negatives else 0.0,
        "positives": positives,
        "negatives": negatives,
    }


def evaluate(label: str, index: ScreeningIndex, all_cases: list[Case], entries) -> dict:
    scored = results(index, all_cases)
    fit = [s for s in scored if half(s[0]) == 0]
    test = [s for s in scored if half(s[0]) == 1]
    grid = [round(0.5 + 0.01 * i, 2) for i in range(50)]
    fitted = max(grid, key=lambda t: (metrics(fit, entries, t)["f1"], t))
    rows = [metrics(test, entries, t) for t in sorted({*THRESHOLDS, fitted})]
    print(f"\n{label}: {sum(c.expected is not None for c in all_cases)} positives, "
          f"{sum(c.expected is None for c in all_cases)} negatives; threshold fitted on half A "
          f"= {fitted:.2f}; table on half B")  # fmt: skip
    print(f"  {'threshold':>9}  {'precision':>9}  {'recall':>6}  {'F1':>5}  negatives flagged")
    for row in rows:
        mark = " (shipped)" if row["threshold"] == DEFAULT_THRESHOLD else ""
        mark += " (fitted)" if row["threshold"] == fitted else ""
        print(f"  {row['threshold']:>9.2f}  {row['precision']:>9.3f}  {row['recall']:>6.3f}  "
              f"{row['f1']:>5.3f}  {row['negatives_flagged']:>6.1%}{mark}")  # fmt: skip
    return {"label": label, "fitted": fitted, "rows": rows}


def misses(index: ScreeningIndex, all_cases: list[Case], entries, threshold: float) -> None:
    shown = 0
    for case in all_cases:
        got = index.screen(case.query, threshold)
        names = {(m.entry.list_id, m.entry.name) for m in got}
        want = entries[case.expected] if case.expected is not None else None
        wrong = (want is None and bool(got)) or (
            want is not None and (want.list_id, want.name) not in names
        )
        if wrong and shown < 12:
            shown += 1
            top = f"{got[0].matched_name!r} {got[0].confidence:.2f}" if got else "-"
            print(f"    {case.kind:<20} {case.query[:50]!r:<54} -> {top}")


def register(size: int, seed: int = 7) -> list[str]:
    """Unique names made of real words (CSL names and the negatives), as in a vendor register."""
    words = sorted({w for line in (DATA / "negatives.txt").read_text().split() for w in [line]
                    if w.isalpha() and len(w) > 2})  # fmt: skip
    rng = random.Random(seed)
    forms = ["Inc.", "LLC", "Ltd.", "GmbH", "S.A.", "Corporation", ""]
    names: set[str] = set()
    while len(names) < size:
        k = rng.choice((1, 2, 2, 3))
        names.add(" ".join([*rng.sample(words, k), rng.choice(forms)]).strip())
    return sorted(names)


def synthetic_entries(base: list[ListEntry], size: int, seed: int = 11) -> list[ListEntry]:
    words = sorted({t for e in base for n in e.names for t in n.split() if t.isalpha()})
    rng = random.Random(seed)
    template = next(e for e in base if e.source == "csl")
    out = []
    for _ in range(size):
        name = " ".join(rng.sample(words, rng.choice((2, 3, 4))))
        out.append(replace(template, name=name, alt_names=(" ".join(rng.sample(words, 2)),)))
    return out


def timing(label: str, entries: list[ListEntry], names: list[str]) -> dict:
    normalize.cache_clear()
    started = time.perf_counter()
    index = ScreeningIndex(entries)
    built = time.perf_counter() - started
    started = time.perf_counter()
    hits = sum(bool(index.screen(n)) for n in names)
    screened = time.perf_counter() - started
    print(f"  {label:<34} {len(entries):>6} entries  index {built:5.2f} s  "
          f"screen {len(names)} names {screened:5.2f} s  ({hits} with a hit)")  # fmt: skip
    return {"label": label, "entries": len(entries), "index_s": built, "screen_s": screened}


def main() -> int:
    config = EngineConfig(corpus_dir=ROOT / "corpus", data_dir=ROOT / ".no-synced-lists")
    snapshot = load_snapshot(config)
    entries = snapshot.entries
    shipped = evaluate("shipped (alt_names indexed)", ScreeningIndex(entries),
                       cases(entries, True), entries)  # fmt: skip
    misses(ScreeningIndex(entries), cases(entries, True), entries, DEFAULT_THRESHOLD)
    primary_only = [replace(e, alt_names=()) for e in entries]
    held_out = evaluate("aliases held out (primary names indexed)", ScreeningIndex(primary_only),
                        cases(entries, False), entries)  # fmt: skip
    names = register(10_000)
    print("\n10k-name register")
    speed = [
        timing("bundled snapshot", entries, names),
        timing("synthetic list (CSL-sized)", entries + synthetic_entries(entries, 20_000), names),
    ]
    write_json("screening", {"shipped": shipped, "held_out": held_out, "speed": speed})
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
