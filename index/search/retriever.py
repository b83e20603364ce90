"""Query -> Answer: hybrid retrieval (dense + BM25) that knows vendors, with honest abstention.

1. `plan.Planner` reads the question: the vendors it names that the corpus knows, the names it
   uses that the corpus has never seen, and whether it is a bare vendor name.
2. Only unknown names -> "Nothing in the corpus about X" (with the closest vendors covered).
   Unknown names beside known vendors -> the answer about the known ones, plus a notice per
   unknown name.
3. A bare vendor name -> a brief (`brief.py`): one quote per source, most decisive first.
4. Anything else -> candidates from FAISS and BM25 (plus every passage naming an asked vendor),
   scored by `scoring.fuse`: convex fusion of cosine and normalised BM25 with a bonus for
   passages naming the asked vendor; a question naming something is answered only from
   articles that name it. The best cosine under `min_evidence` -> abstain, on every route but
   two: a question naming a vendor (curated, or a distinctive name that is not a place), and
   one citing an identifier ("52.204-25") that a passage contains as written. A place, or a
   name the corpus mentions in passing, carries no question past the threshold, nor gets a
   brief.

Every constant is in `params.RankingParams`, fitted on real questions (see that module).
Per query: one embedding, one BM25 pass, one FAISS search; the rest is precomputed.
"""

from __future__ import annotations

import gc
from typing import TYPE_CHECKING

import numpy as np

from index.embed.model import Embedder
from index.search.assemble import ResultBuilder
from index.search.brief import BriefMaker, join_names, plural
from index.search.covered import shown_vendors
from index.search.filters import FilterError, QueryFilters, RowFilter, parse_filters
from index.search.legal import spelt_out, typed_unknown
from index.search.names import LinkedArticle, NameCheck, article_at, names_in
from index.search.params import RankingParams, load_params
from index.search.passages import member, passage_search, unique
from index.search.phrases import (
    TERM_OF_ART_DEPTH,
    cited_sections,
    question_phrases,
    rows_citing_section,
    rows_writing,
)
from index.search.plan import MAX_QUERY_CHARS, USAGE, Planner, QueryPlan, clean_query
from index.search.results import Answer, Result
from index.search.scoring import fuse
from index.search.written import WrittenNames, as_written

if TYPE_CHECKING:
    from index.lists.answers import ListStatusProvider as ListStatus
from index.store.reader import StoredIndex

__all__ = ["MAX_QUERY_CHARS", "Retriever", "clean_query"]


class Retriever:
    """Holds a loaded index and an embedder; answers queries. Create once, query many times."""

    def __init__(
        self,
        index: StoredIndex,
        embedder: Embedder,
        params: RankingParams | None = None,
        lists: ListStatus | None = None,
    ) -> None:
        self.index = index
        self.lists = lists
        self.embedder = embedder
        self.params = params or load_params()
        self.vendors = index.vendors
        self.search = passage_search(index, embedder)
        self.planner = Planner(
            self.vendors,
            self.search.known_word,
            self.search.word_pieces,
            self.search.named_together,
        )
        self.builder = ResultBuilder(index, self.search.idf)
        self.briefs = BriefMaker(self.search, self.builder, self.params)
        article_col = index.passages[:, 0] if index.size else np.zeros(0, dtype=np.int32)
        self._article_of = article_col.astype(np.int64)
        self._shown: dict[str, str] | None = None
        if index.engine is None:
            freeze_loaded()

    def ask(self, raw_query: str, k: int = 5, filters: QueryFilters | None = None) -> Answer:
        try:
            text, asked = parse_filters(raw_query)  # "huawei since:2024 publisher:Reuters"
        except FilterError as exc:
            return Answer(query=raw_query.strip(), kind="none", message=str(exc))
        plan = self.planner.plan(text)
        if plan.empty:
            return Answer(query="", kind="usage", message=USAGE)
        spec = asked.merged(filters)
        if spec.active:
            plan.where = RowFilter(spec, self.index, self._article_of)
            plan.notes.append(f"Filtered: {spec.describe()}.")
        answer = self.answer_plan(plan, max(1, min(int(k), 50)))
        answer.index = {
            "generation": self.index.generation.name,
            "model": self.index.manifest.model,
        }
        if self.lists is not None:
            unknown = plan.missing if plan.name_like else []
            distinctive = [
                d
                for d, w in zip(plan.displays, plan.names, strict=True)
                if self.planner.companylike(w)
            ]
            asked = [self.vendors.name(v) for v in plan.vendors] + distinctive + unknown
            answer.status = self.lists.for_names(plan.displays, asked)
        return answer

    def names_in(self, text: str) -> list[NameCheck]:
        """The vendor names a message uses, with coverage and list status (names.py)."""
        return names_in(self.planner, self.lists, text, self.articles_naming)

    def articles_naming(self, words: list[str]) -> int:
        return int(np.unique(self._article_of[self.search.rows_naming(words)]).size)

    def article_at(self, url: str) -> LinkedArticle | None:
        """The corpus article at `url`, with the vendors it is about (names.py)."""
        return article_at(self.planner, self.index.articles, url)

    def answer_plan(self, plan: QueryPlan, k: int) -> Answer:
        unknown = typed_unknown(plan.typed, plan.capitalised, self.search, self.builder.quote_of)
        plan.missing += unknown
        plan.name_like |= bool(unknown)
        sections = self.sections_cited(plan)
        # An unknown vendor beside a known one ("is Sophos banned like Kaspersky?"): answer
        # about the known one and say so of the other. Beside only an agency or a place
        # ("is Acme allowed on the GSA schedule?"): nothing in the corpus about Acme.
        if plan.missing and plan.name_like and not plan.vendorlike:
            return self.abstain(plan, plan.missing)
        if plan.missing and not plan.named:
            return self.weak(plan)
        for name in plan.missing if plan.name_like else []:
            if name in plan.products:
                maker = plan.products[name]
                plan.notes.append(
                    f"Nothing in the corpus about {maker} {name} itself; "
                    f"showing what it says about {maker}."
                )
            else:
                plan.notes.append(f"Nothing in the corpus about {name}.")
        parts = self.named_parts(plan)
        named = union(parts)
        plan.in_passing = plan.named and self.only_in_passing(plan, named)
        if plan.bare:
            return self.briefs.brief(plan.text, self.display_names(plan), named, plan.notes, k)
        rows, scores, evidence = self.rank(plan, parts, named)
        # A question naming a vendor (curated, or a distinctive name that is not a place), or
        # citing a rule or case number as a passage writes it, is on topic by construction;
        # anything else, a place or a name some passage mentions in passing included, must be
        # close enough to some passage.
        on_topic = plan.vendorlike or self.cites(plan)
        if len(rows) and len(sections) and evidence < self.params.min_evidence and not on_topic:
            on_topic = True  # "what's in 47 USC 1601": a section some passage cites
            rows, scores = self.favour(rows, scores, sections, only=not plan.named)
        if len(rows) and evidence < self.params.min_evidence and not on_topic:
            # A term of art the corpus writes as the question does ("rip and replace"): on
            # topic, answered as a cited rule number is (`favour`).
            written = rows_writing(
                question_phrases(plan.text, self.search.known_word),
                rows[:TERM_OF_ART_DEPTH],
                self.builder.quote_of,
            )
            if len(written):
                on_topic = True
                rows, scores = self.favour(rows, scores, written, only=not plan.named)
        if len(rows) == 0 or (evidence < self.params.min_evidence and not on_topic):
            if plan.in_passing:
                plan.notes.append(
                    f"The corpus mentions {join_names(self.display_names(plan))} only in "
                    "passing, and none of those passages is close enough to answer this."
                )
            return self.weak(plan)
        return self.answer(plan, rows, scores, k)

    def sections_cited(self, plan: QueryPlan) -> np.ndarray:
        """The passages citing a section the question cites by number; a section no passage
        cites ("what is section 230") is as unknown as a name never seen."""
        found = []
        for number in cited_sections(plan.text):
            rows = rows_citing_section(
                number, self.search.rows_naming([number]), self.builder.quote_of
            )
            if len(rows):
                found.append(rows)
            else:
                plan.missing.append(f"section {number}")
                plan.name_like = True
        return union(found)

    # ------------------------------------------------------------------------------ ranking

    def display_names(self, plan: QueryPlan) -> list[str]:
        return [self.vendors.name(v) for v in plan.vendors] + plan.displays

    def named_parts(self, plan: QueryPlan) -> list[np.ndarray]:
        """Per thing the question names (a vendor by any alias, or a name): its passages."""
        parts = [self.vendors.mention_rows(v) for v in plan.vendors]
        parts += [self.search.rows_naming(words) for words in plan.names]
        return [plan.where.keep(p) for p in parts] if plan.where is not None else parts

    def cited_parts(self, plan: QueryPlan) -> list[np.ndarray]:
        """Per rule or case number the question cites: the passages that cite it as written."""
        parts = [self.search.rows_citing(identifier) for identifier in plan.identifiers]
        return [plan.where.keep(p) for p in parts] if plan.where is not None else parts

    def favour(
        self, rows: np.ndarray, scores: np.ndarray, written: np.ndarray, only: bool
    ) -> tuple[np.ndarray, np.ndarray]:
        """Ranked rows with the naming bonus for the passages in `written`, kept to their
        articles when `only` (nothing else named), best first as `rank` orders them."""
        if only:
            keep = member(self._article_of[rows], self._article_of[written])
            rows, scores = rows[keep], scores[keep]
        scores = scores + self.params.passage_vendor_bonus * member(rows, written)
        order = np.lexsort((-self.builder.ordinal[self._article_of[rows]], -scores))
        return rows[order], scores[order]

    def rank(
        self, plan: QueryPlan, parts: list[np.ndarray], named: np.ndarray | None = None
    ) -> tuple[np.ndarray, np.ndarray, float]:
        """Candidate rows and their fused scores, best first (newer first on exact ties), and
        the evidence: the best cosine of any candidate (measured to separate off-topic
        questions better than the fused score, whose BM25 half rewards common words).

        A question that names something is answered only from articles that name it: its own
        articles, and the laws, lists and roundups that name it among others. A passage gets
        the vendor bonus once for each thing asked about that it names ("did Kaspersky work
        with the FSB?": the passage naming both first).
        """
        if named is None:  # every passage naming anything asked about (`answer_plan` has it)
            named = union(parts)
        scores = self.search.score_query(plan.text, plan.keywords)
        rows = self.search.candidates(scores, self.params.candidates, plan.where)
        if plan.in_passing:  # said with the answer (an abstention shows no passages)
            rows = named
        elif plan.named:
            rows = np.union1d(rows, named)
            rows = rows[member(self._article_of[rows], self._article_of[named])]
        # A rule or case number cited as written ("M-23-13", "52.204-25"): its passages join
        # the candidates; with no name beside it, only articles citing it answer.
        cited = self.cited_parts(plan)
        citing = np.concatenate(cited).astype(np.int64) if cited else np.zeros(0, np.int64)
        if len(citing) and not plan.in_passing:
            rows = np.union1d(rows, citing)
            if not plan.named:
                rows = rows[member(self._article_of[rows], self._article_of[citing])]
        if plan.where is not None:
            rows = plan.where.keep(rows)
        if len(rows) == 0:
            return rows, np.zeros(0, dtype=np.float32), 0.0
        dense = self.search.dense_of(rows, scores.vector)
        written = WrittenNames(plan, self.vendors.lookup)
        naming = written.naming(rows, parts + cited, self.builder.quote_of)
        fused = fuse(dense, scores.lexical[rows], naming, self.params)
        ordinal = self.builder.ordinal[self._article_of[rows]]
        order = np.lexsort((-ordinal, -fused))
        return rows[order], fused[order], float(dense.max())

    def cites(self, plan: QueryPlan) -> bool:
        """Some passage contains one of the question's identifiers as written ("52.204-25"),
        not merely its pieces ("52", "204", "25") somewhere."""
        return any(len(self.search.rows_citing(i)) for i in plan.identifiers)

    def only_in_passing(self, plan: QueryPlan, named: np.ndarray) -> bool:
        """No article is about it: each that names it does so in one passage, not its title
        ("other vendors, including Cisco, ..."). Then only those passages can answer."""
        if len(named) == 0 or any(self.vendors.is_covered(v) for v in plan.vendors):
            return False
        articles, counts = np.unique(self._article_of[named], return_counts=True)
        if counts.max() > 1:
            return False
        words = {w.lower() for name in self.display_names(plan) for w in name.split()}
        titles = [self.index.articles[int(a)].title for a in articles]
        return not any(w in title.lower() or spelt_out(w, title) for title in titles for w in words)

    # ------------------------------------------------------------------------------ answers

    def answer(self, plan: QueryPlan, rows: np.ndarray, scores: np.ndarray, k: int) -> Answer:
        names = self.display_names(plan)
        if plan.in_passing:
            plan.notes.append(
                f"The corpus mentions {join_names(names)} only in passing; "
                "showing the passages that do."
            )
        results = self.builder.results(plan.text, rows, scores, k, tuple(names))
        companies = set(self.shown_vendors().values())
        self.builder.flag_superseded(results, plan.notes, plan.vendors or None, companies)
        message = summary(results)
        if names:
            message = message.rstrip(".") + f" about {join_names(as_written(plan, names))}."
        return Answer(
            query=plan.text, results=results, message=message, vendors=names, notices=plan.notes
        )

    def abstain(self, plan: QueryPlan, unknown: list[str]) -> Answer:
        closest = self.vendors.closest(unknown[0], among=self.shown_vendors())
        message = f"Nothing in the corpus about {join_names(unknown)}."
        if closest:  # names that look alike: a misspelling, or a sister company
            message += f" Closest vendors covered: {', '.join(closest)}."
        else:  # nothing alike: what the corpus does cover
            message += self.covered_note()
        return Answer(query=plan.text, kind="none", message=message, notices=plan.notes)

    def weak(self, plan: QueryPlan) -> Answer:
        message = f"Nothing in the corpus answers {plan.text!r}." + self.covered_note()
        return Answer(query=plan.text, kind="none", message=message, notices=plan.notes)

    def covered_note(self) -> str:
        """ " Vendors covered include: ..." (the best covered five), or "" for none."""
        covered = list(self.shown_vendors())[:5]
        return f" Vendors covered include: {', '.join(covered)}." if covered else ""

    def shown_vendors(self) -> dict[str, str]:
        """Display name -> key of the covered vendors worth naming to a reader (covered.py)."""
        if self._shown is None:
            self._shown = shown_vendors(self.vendors, self.planner.distinctive)
        return self._shown


def union(parts: list[np.ndarray]) -> np.ndarray:
    """The rows of any of `parts`, sorted, each once."""
    return unique(np.concatenate(parts)).astype(np.int64) if parts else np.zeros(0, np.int64)


def summary(results: list[Result]) -> str:
    sources = len({r.article.id for r in results})
    return f"{plural(len(results), 'passage')} from {plural(sources, 'source')}."


def freeze_loaded() -> None:
    """Keep the cyclic garbage collector off the objects alive now: a loaded index is ~130k
    long-lived objects at 100k passages (articles, vendor data, lookup tables), which every
    full collection traversed again, a pause in whichever answer set it off (`gc.collect()`
    of a loaded 100k index: ~60 ms; inside the answer path, 5 of 400 questions spent 6 ms
    more assembling results than the rest, none once frozen). Collections still see
    everything made later. A retriever over the local store and its index hold no reference
    cycle, so dropping one (a hot swap) frees them by reference counting, frozen or not
    (tests/test_sentence_table.py); the engine store's search keeps lru_caches of its own
    methods, cycles, so it is not frozen."""
    gc.freeze()
