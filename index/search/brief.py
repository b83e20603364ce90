"""A bare vendor name ("kaspersky", "latest on Huawei") -> a brief: one quote per source,
the most decisive first.

Decisive means a government action or the reporting on one: a ban, a list addition or
removal, a rule, an order, a ruling. Each passage that names the vendor is scored by
`scoring.brief_score`: its cosine to the vendor's name (is it about the vendor?) blended with
its cosine to `ACTION` (does it report an action?); a product review or an earnings story
reads as neither. The blend weight is fitted on real questions (`params.py`). The newest
source always stays visible: it takes the last place if it did not rank, and older entries
point to it (`superseded_by`).
"""

from __future__ import annotations

import numpy as np

from index.search.assemble import ResultBuilder
from index.search.params import RankingParams
from index.search.passages import PassageSearch
from index.search.results import Answer, Result
from index.search.scoring import brief_score

BRIEF_MIN_ITEMS = 10  # a brief is a timeline: show up to this many sources even when k is lower
ACTION = (
    "The US government banned or restricted the company: it was added to a federal list, "
    "prohibited by law, barred by a rule, an order or a directive, removed from contracts, "
    "or a court ruled on the ban."
)


def plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def join_names(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


class BriefMaker:
    def __init__(
        self, search: PassageSearch, builder: ResultBuilder, params: RankingParams
    ) -> None:
        self.search, self.builder, self.params = search, builder, params
        self.index = search.index
        self._action: np.ndarray | None = None  # embedded on first use

    def action_vector(self) -> np.ndarray:
        if self._action is None:
            self._action = self.search.embed(ACTION)
        return self._action

    def best_passages(self, named: np.ndarray, names: list[str]) -> dict[int, tuple[int, float]]:
        """article -> (its best passage for the brief, score), over the passages naming it."""
        rows = np.asarray(named, dtype=np.int64)
        if len(rows) == 0:
            return {}
        articles = self.index.passages[rows, 0]
        about = self.search.dense_of(rows, self.search.embed(" ".join(names)))
        action = self.search.dense_of(rows, self.action_vector())
        scores = brief_score(about, action, self.params)
        best: dict[int, tuple[int, float]] = {}
        for row, article, score in zip(
            rows.tolist(), articles.tolist(), scores.tolist(), strict=True
        ):
            if article not in best or score > best[article][1]:
                best[article] = (row, score)
        return best

    def representatives(self, articles: set[int]) -> dict[int, list[int]]:
        """One article per story: the first published of each near-duplicate group -> others."""
        groups: dict[int, list[int]] = {}
        b = self.builder
        for a in articles:
            cluster = b.cluster_of.get(a)
            members = (
                [m for m in b.clusters[cluster] if m in articles] if cluster is not None else [a]
            )
            first = min(members, key=lambda m: (b.ordinal[m] or 10**9, m))
            groups.setdefault(
                first, [m for m in sorted(members, key=lambda m: (b.ordinal[m], m)) if m != first]
            )
        return groups

    def brief(
        self, query: str, names: list[str], named: np.ndarray, notes: list[str], k: int
    ) -> Answer:
        best = self.best_passages(named, names)
        groups = self.representatives(set(best))
        ranked = sorted(groups, key=lambda a: (-best[a][1], -self.builder.ordinal[a]))
        limit = max(k, BRIEF_MIN_ITEMS)
        shown = ranked[:limit]
        newest = max(ranked, key=lambda a: self.builder.ordinal[a], default=None)
        if newest is not None and newest not in shown and self.builder.ordinal[newest]:
            shown[-1] = newest
        results: list[Result] = []
        for rank, a in enumerate(shown, 1):
            row, score = best[a]
            result = self.builder.result(row, score, query, tuple(names))
            result.rank = rank
            result.also_in = [self.builder.ref(m) for m in groups[a]]
            results.append(result)
        self._point_to_newest(results, newest)
        return Answer(
            query=query,
            kind="brief",
            results=results,
            message=self._message(names, results, len(ranked), newest),
            vendors=names,
            notices=notes,
        )

    def _point_to_newest(self, results: list[Result], newest: int | None) -> None:
        if newest is None or not self.builder.ordinal[newest]:
            return
        ref = self.builder.ref(newest)
        for r in results:
            if (
                r.article.id != ref.id
                and r.article.published
                and r.article.published < ref.published
            ):
                r.superseded_by = ref

    def _message(
        self, names: list[str], results: list[Result], total: int, newest: int | None
    ) -> str:
        count = plural(len(results), "source")
        if total > len(results):
            count = f"{len(results)} of {total} sources"
        dates = sorted(r.article.published for r in results if r.article.published)
        span = (
            f", {dates[0]} to {dates[-1]}" if len(dates) > 1 else (f", {dates[0]}" if dates else "")
        )
        message = (
            f"{join_names(names)}: {count}{span}, government actions and reporting on them first."
        )
        if newest is not None and self.builder.ordinal[newest]:
            ref = self.builder.ref(newest)
            message += f" Newest: {ref.title!r} ({ref.published})."
        return message
