"""Query -> Answer: vendor-aware hybrid retrieval (dense + BM25) with honest abstention.

The shipped pipeline ("hybrid"):

1. Find the vendor(s) the query names (aliases, legal forms, possessives, misspellings:
   `index.vendors.registry`).
2. A covered vendor with nothing else but filler ("kaspersky", "latest on Kaspersky") -> a
   *brief*: one quote per article about it, newest first; older entries point to the newest.
3. A covered vendor plus a question -> rank only passages that concern it: tier 0 is its own
   articles plus passages naming it in articles about no vendor in particular (roundups);
   tier 1, always after tier 0, is passages naming it inside articles about other vendors.
4. A vendor only mentioned in passing ("Cisco" in a Kaspersky story) -> only the passages that
   name it, with a notice. An alias-file vendor no article names -> abstain.
5. A name the corpus has never seen ("Acme") -> abstain, naming the closest vendors covered.
6. No vendor named -> dense and BM25 candidates fused; abstain below MIN_EVIDENCE.

Within a tier, passages are ranked by `ALPHA * cosine + (1 - ALPHA) * bm25 / ceiling`
(measured better than reciprocal rank fusion: benchmarks/quality.py), equally relevant ones
newer first; near-duplicate articles fold into one result (`also_in`), and a result about a
vendor with a newer article elsewhere gets `superseded_by` (plus a notice for the first).

`mode="dense"` and `mode="lexical"` are the single-retriever baselines `vendorcheck eval`
compares against; they have no vendor logic.

Per query: one embedding, one BM25 scoring pass (numpy), dictionary lookups and one rapidfuzz
call; everything per vendor or per article is precomputed when the retriever is created.
"""

from __future__ import annotations

import json
import re
from dataclasses import dataclass
from datetime import date

import numpy as np

from index.search.embedding import Embedder
from index.search.results import Answer, ArticleRef, Result
from index.store.dense import search_dense
from index.store.generations import EMBEDDINGS, StoredIndex
from index.text.highlight import key_sentences
from index.text.terms import stems
from index.vendors.names import CORPORATE_FORMS, NOT_VENDORS, word_set
from index.vendors.registry import (
    QUESTION_WORDS,
    VENDORS_FILE,
    VendorIndex,
    VendorMatch,
    read_alias_file,
)

MAX_QUERY_CHARS = 500  # longer queries are cut (with a note): the model reads ~256 tokens anyway
CANDIDATES = 50
RRF_K = 60
FUSION = "blend"  # "blend" or "rrf": measured by benchmarks/quality.py, see docs there
# Blend weight of the dense cosine against the normalised BM25 score (benchmarks/quality.py).
ALPHA = 0.5
# Baseline abstention of the dense-only pipeline: the original engine's fixed threshold.
MIN_DENSE_SCORE = 0.30
# Shipped pipeline, no vendor named: abstain below this fused score of the best passage.
# Calibrated on tests/fixtures/eval (benchmarks/quality.py --calibrate; see README there).
MIN_EVIDENCE = 0.55
MAX_PER_ARTICLE = 2
# Outside the asked vendor's own articles, a passage must score at least this share of the best.
RELATIVE_FLOOR = 0.6
BRIEF_MIN_ITEMS = 10
# Two results closer than this in fused score count as equally relevant: newer goes first.
TIE_EPSILON = 0.02
# Control characters, and lone surrogates (argv with invalid UTF-8, JSON "\udcff"): the
# tokenizer rejects the latter with a TypeError.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f-\x9f\ud800-\udfff]")
_STOP = frozenset(
    [
        "a",
        "an",
        "and",
        "are",
        "as",
        "at",
        "be",
        "but",
        "by",
        "for",
        "if",
        "in",
        "into",
        "is",
        "it",
        "no",
        "not",
        "of",
        "on",
        "or",
        "such",
        "that",
        "the",
        "their",
        "then",
        "there",
        "these",
        "they",
        "this",
        "to",
        "was",
        "will",
        "with",
        "i",
        "me",
        "my",
        "we",
        "our",
        "you",
        "your",
        "he",
        "she",
        "his",
        "her",
        "its",
        "them",
    ]
)

# A covered vendor's name with only these words around it asks for its brief:
# "kaspersky", "latest on Kaspersky", "what's new with Kaspersky?", "tell me about Kaspersky".
BRIEF_FILLER = word_set(
    """
    brief summary overview status update updates latest news new recent what whats s about tell
    me us show give anything info information on with there any know do we you vendor company
    profile history timeline report reports
    """
)

USAGE = 'Ask about a vendor, e.g. "is Kaspersky allowed on GSA?", or give a vendor name.'


def clean_query(raw: str) -> tuple[str, list[str]]:
    """Collapse control characters and whitespace; cut over-long queries. Returns notes too."""
    notes: list[str] = []
    text = " ".join(_CONTROL.sub(" ", raw or "").split())
    if len(text) > MAX_QUERY_CHARS:
        cut = text[:MAX_QUERY_CHARS].rsplit(" ", 1)[0] or text[:MAX_QUERY_CHARS]
        notes.append(
            f"Your question was {len(text):,} characters; only the first {len(cut)} were used."
        )
        text = cut
    return text, notes


@dataclass
class Candidate:
    row: int
    fused: float
    dense: float
    lexical: float
    tier: int = 0  # 0: article about the asked vendor; 1: passage naming it elsewhere


def _plural(n: int, word: str) -> str:
    return f"{n} {word}{'' if n == 1 else 's'}"


def _join(names: list[str]) -> str:
    return names[0] if len(names) == 1 else ", ".join(names[:-1]) + " and " + names[-1]


class Retriever:
    """Holds a loaded index and an embedder; answers queries. Create once, query many times."""

    def __init__(
        self,
        index: StoredIndex,
        embedder: Embedder,
        mode: str = "hybrid",
        fusion: str = FUSION,
        alpha: float = ALPHA,
        min_evidence: float = MIN_EVIDENCE,
    ) -> None:
        if mode not in ("hybrid", "dense", "lexical"):
            raise ValueError(f"unknown retrieval mode {mode!r}")
        self.index = index
        self.embedder = embedder
        self.mode, self.fusion, self.alpha, self.min_evidence = mode, fusion, alpha, min_evidence
        self.vendors = self._load_vendors(index)
        self.cluster_of: dict[int, int] = {}
        for number, group in enumerate(self._vendor_data.get("duplicates", [])):
            for article_idx in group:
                self.cluster_of[int(article_idx)] = number
        self.clusters: list[list[int]] = self._vendor_data.get("duplicates", [])
        self.vectors = self._load_vectors(index)
        lexical = index.lexical
        self._bm25 = lexical.retriever
        self._vocab: dict = lexical.vocab
        self._postings = self._bm25.scores
        self._article_index = {a.id: i for i, a in enumerate(index.articles)}
        self._by_date: dict[str, list[int]] = {}  # vendor -> its articles, newest first
        self._subjectless = np.array([not keys for keys in self.vendors.about], dtype=bool)
        self._ordinal = np.array(
            [a.published.toordinal() if a.published else 0 for a in index.articles],
            dtype=np.int64,
        )
        for key, article_ids in self.vendors.about_articles.items():
            self._by_date[key] = sorted(article_ids, key=lambda a: -self._ordinal[a])

    # ------------------------------------------------------------------------------ loading

    def _load_vendors(self, index: StoredIndex) -> VendorIndex:
        path = index.generation / VENDORS_FILE
        try:
            self._vendor_data = json.loads(path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            # An index from before vendor data existed: derive it now (text only, no model).
            from index.vendors.registry import build_vendor_data

            rows = [tuple(int(x) for x in r) for r in index.passages]
            self._vendor_data = build_vendor_data(index.articles, rows, read_alias_file(None))
        return VendorIndex(self._vendor_data, index.passages, index.articles)

    @staticmethod
    def _load_vectors(index: StoredIndex) -> np.ndarray | None:
        try:
            vectors = np.load(index.generation / EMBEDDINGS, mmap_mode="r", allow_pickle=False)
        except (OSError, ValueError):
            return None
        return vectors if len(vectors) == index.size else None

    def _dense_of(self, rows: np.ndarray, vector: np.ndarray) -> np.ndarray:
        if len(rows) == 0:
            return np.zeros(0, dtype=np.float32)
        if self.vectors is not None:
            return np.asarray(self.vectors[np.sort(rows)] @ vector)[np.argsort(np.argsort(rows))]
        stored = self.index.dense.reconstruct_batch(rows)
        return stored @ vector

    # ----------------------------------------------------------------------- lexical helpers

    def _query_tokens(self, text: str) -> list[str]:
        return [t for t in dict.fromkeys(stems(text)) if t in self._vocab]

    def _known_word(self, word: str) -> bool:
        terms = stems(word)
        return not terms or all(t in self._vocab for t in terms)

    def _idf(self, stem: str) -> float:
        token_id = self._vocab.get(stem)
        if token_id is None:
            return 0.0
        indptr = self._postings["indptr"]
        df = int(indptr[token_id + 1] - indptr[token_id]) if token_id + 1 < len(indptr) else 0
        return float(np.log(1 + (self.index.size - df + 0.5) / (df + 0.5)))

    def _lexical_scores(self, tokens: list[str]) -> tuple[np.ndarray, float]:
        """BM25 score of every passage and the best score any passage could reach (for scale)."""
        if not tokens or self.index.size == 0:
            return np.zeros(self.index.size, dtype=np.float32), 1.0
        scores = self._bm25.get_scores(tokens)
        data, indptr = self._postings["data"], self._postings["indptr"]
        ceiling = 0.0
        for token in tokens:
            t = self._vocab[token]
            if t + 1 < len(indptr) and indptr[t + 1] > indptr[t]:
                ceiling += float(data[indptr[t] : indptr[t + 1]].max())
        return np.asarray(scores, dtype=np.float32), max(ceiling, 1e-6)

    # ------------------------------------------------------------------------------- scoring

    def _score(
        self, rows: np.ndarray, dense: np.ndarray, lexical: np.ndarray, ceiling: float
    ) -> np.ndarray:
        lex = lexical / ceiling
        if self.fusion == "rrf":
            dense_rank = np.empty(len(rows)), np.empty(len(rows))
            dense_rank[0][np.argsort(-dense)] = np.arange(len(rows))
            dense_rank[1][np.argsort(-lex)] = np.arange(len(rows))
            rrf = 1.0 / (RRF_K + dense_rank[0] + 1) + np.where(
                lex > 0, 1.0 / (RRF_K + dense_rank[1] + 1), 0.0
            )
            return rrf * (RRF_K + 1) / 2  # 1.0 for a passage first in both lists
        return self.alpha * dense + (1 - self.alpha) * lex

    def prepare(self, query: str) -> tuple[np.ndarray, list[str], np.ndarray, float]:
        """Per-query work done once: the query vector and every passage's BM25 score."""
        vector = self.embedder.embed([query])[0]
        tokens = self._query_tokens(query)
        lexical_all, ceiling = self._lexical_scores(tokens)
        return vector, tokens, lexical_all, ceiling

    def candidates(
        self,
        query: str,
        rows: np.ndarray | None = None,
        prepared: tuple[np.ndarray, list[str], np.ndarray, float] | None = None,
    ) -> list[Candidate]:
        """Scored candidates: within `rows` if given (a vendor's passages), else corpus-wide."""
        vector, tokens, lexical_all, ceiling = prepared or self.prepare(query)
        if rows is None:
            dense_ids, _ = search_dense(self.index.dense, vector, CANDIDATES)
            n = min(CANDIDATES, self.index.size)
            # Top-n among passages that match at all: argpartition over every passage's score,
            # mostly tied zeros, degrades (~15 ms at 100k passages, benchmarks/RESULTS.md).
            hits = np.flatnonzero(lexical_all > 0) if tokens and n else np.zeros(0, np.int64)
            if len(hits) > n:
                hits = hits[np.argpartition(-lexical_all[hits], n - 1)[:n]]
            lex_ids = hits
            rows = np.unique(np.concatenate([dense_ids, lex_ids]).astype(np.int64))
        if len(rows) == 0:
            return []
        dense = self._dense_of(rows, vector).astype(np.float32)
        lexical = lexical_all[rows]
        if self.mode == "dense":
            fused = dense
        elif self.mode == "lexical":
            keep = lexical > 0
            rows, dense, lexical = rows[keep], dense[keep], lexical[keep]
            fused = lexical / ceiling
        else:
            fused = self._score(rows, dense, lexical, ceiling)
        order = np.lexsort((-self._ordinal[self.index.passages[rows, 0]], -fused))
        return [
            Candidate(int(rows[i]), float(fused[i]), float(dense[i]), float(lexical[i]))
            for i in order
        ]

    # --------------------------------------------------------------------------------- ask

    def ask(self, raw_query: str, k: int = 5) -> Answer:
        query, notes = clean_query(raw_query)
        if not query:
            return Answer(query="", kind="usage", message=USAGE)
        k = max(1, min(int(k), 50))
        if self.mode != "hybrid":
            return self._baseline(query, k, notes)
        match = self.vendors.match(query, self._known_word)
        for word, key in match.fuzzy.items():
            notes.append(f"Read {word!r} as {self.vendors.name(key)}.")
        content = self._content_words(match)
        if match.covered:
            names = [self.vendors.name(key) for key in match.covered]
            if all(lower in BRIEF_FILLER for _, _, lower in content):
                return self._brief(query, match.covered, k, notes)
            # Tier 0: the vendor's own articles, and passages naming it in articles about no
            # vendor in particular (a roundup). Tier 1: passages naming it inside articles about
            # other vendors; they never outrank tier 0.
            about = np.concatenate([self.vendors.about_rows(v) for v in match.covered])
            named = np.concatenate([self.vendors.mention_rows(v) for v in match.covered])
            unowned = (
                named[self._subjectless[self.index.passages[named, 0]]] if len(named) else named
            )
            tier0 = np.unique(np.concatenate([about, unowned]))
            tier1 = np.setdiff1d(named, tier0)
            return self._answer(
                query, k, notes, names, [(tier0, 0), (tier1, 1)], asked=match.covered
            )
        unknown, name_like = self._unknown_words(match, content)
        if unknown:
            if name_like:
                return self._abstain(query, notes, unknown)
            return self._weak(query, notes)
        if match.passing:
            names = [self.vendors.name(key) for key in match.passing]
            # An alias-file vendor that no article mentions: nothing in the corpus about it.
            unmentioned = [v for v in match.passing if len(self.vendors.mention_rows(v)) == 0]
            if unmentioned:
                return self._abstain(query, notes, [self.vendors.name(v) for v in unmentioned])
            rows = np.unique(np.concatenate([self.vendors.mention_rows(v) for v in match.passing]))
            # Say so when the name looks like a vendor ("Cisco") or is all the user typed; a
            # place or programme named in a question ("Chicago", "GSA Schedule") just narrows
            # the passages.
            bare = all(lower in BRIEF_FILLER for _, _, lower in content)
            vendorish = [
                n
                for v, n in zip(match.passing, names, strict=True)
                if bare or self.vendors.is_vendorish(v)
            ]
            if vendorish:
                notes.append(
                    f"No article in the corpus is mainly about {_join(vendorish)}; "
                    f"showing passages that mention {'it' if len(vendorish) == 1 else 'them'}."
                )
            return self._answer(query, k, notes, vendorish, [(rows, 1)], asked=match.passing)
        return self._answer(query, k, notes, [], None)

    def _content_words(self, match: VendorMatch) -> list[tuple[int, str, str]]:
        """Query words left once vendor names, legal forms and filler are set aside."""
        skip = _STOP | CORPORATE_FORMS
        return [
            (i, original, lower)
            for i, (original, lower) in enumerate(match.tokens)
            if i not in match.matched_words and lower not in skip and lower
        ]

    def _unknown_words(
        self, match: VendorMatch, content: list[tuple[int, str, str]]
    ) -> tuple[list[str], bool]:
        """Query words the corpus has never seen, and whether they look like a name.

        Returns (phrases, name_like). A word the corpus vocabulary lacks is flagged when it
        is capitalised (not merely as the first word), or when the query is just a few words
        ("acme", "is acme banned", "weather forecast"). Flagged capitalised words, or a bare
        query of rare words, read as a vendor name ("Nothing in the corpus about Acme");
        otherwise the question is simply off-topic. Adjacent capitalised words join a name
        ("Acme Widgets").
        """
        words = [(i, o, lo) for i, o, lo in content if lo not in QUESTION_WORDS]
        short = len(words) <= 3 and not match.passing
        flagged: set[int] = set()
        name_like = False
        for i, original, lower in words:
            if any(c.isdigit() for c in lower) or lower in NOT_VENDORS:
                continue
            if self._known_word(lower):
                continue
            rare = self.embedder.count_tokens([lower])[0] > 3  # split into word pieces
            # The query's first word is capitalised by grammar: a name only if also rare.
            capital = (original[:1].isupper() and (i > 0 or rare)) or (
                len(original) > 1 and original.isupper()
            )
            # A lower-case unknown word in a longer question is left to the evidence threshold:
            # it is as often an ordinary word the corpus lacks ("shortfall") as a name.
            if capital or short:
                flagged.add(i)
                name_like |= capital or (rare and len(words) <= 2) or len(words) == 1
        if not flagged:
            return [], False
        tokens = match.tokens
        for i in sorted(flagged):
            j = i + 1
            while j < len(tokens) and tokens[j][0][:1].isupper() and j not in match.matched_words:
                if tokens[j][1] in QUESTION_WORDS or tokens[j][1] in _STOP:
                    break
                flagged.add(j)
                j += 1
        phrases: list[list[str]] = []
        for i in sorted(flagged):
            if phrases and i - 1 in flagged:
                phrases[-1].append(tokens[i][0])
            else:
                phrases.append([tokens[i][0]])
        return [re.sub(r"['’]s$", "", " ".join(p)) for p in phrases], name_like

    # ------------------------------------------------------------------------------ answers

    def _abstain(self, query: str, notes: list[str], unknown: list[str]) -> Answer:
        closest = self.vendors.closest(unknown[0])
        message = f"Nothing in the corpus about {_join(unknown)}."
        if closest:
            message += f" Closest vendors covered: {', '.join(closest)}."
        return Answer(query=query, kind="none", message=message, notices=notes)

    def _weak(self, query: str, notes: list[str]) -> Answer:
        covered = [self.vendors.name(k) for k in self.vendors.covered()[:5]]
        message = f"Nothing in the corpus answers {query!r}."
        if covered:
            message += f" Vendors covered include: {', '.join(covered)}."
        return Answer(query=query, kind="none", message=message, notices=notes)

    def _baseline(self, query: str, k: int, notes: list[str]) -> Answer:
        candidates = self.candidates(query)
        if not candidates or (self.mode == "dense" and candidates[0].dense < MIN_DENSE_SCORE):
            return Answer(
                query=query,
                kind="none",
                message=f"Nothing in the corpus answers {query!r}.",
                notices=notes,
            )
        results = self._results(query, candidates, k, ())
        return Answer(query=query, results=results, message=self._summary(results), notices=notes)

    def _answer(
        self,
        query: str,
        k: int,
        notes: list[str],
        vendor_names: list[str],
        tiers: list[tuple[np.ndarray, int]] | None,
        asked: list[str] | None = None,
    ) -> Answer:
        if tiers is None:
            candidates = self.candidates(query)
            if not candidates or candidates[0].fused < self.min_evidence:
                return self._weak(query, notes)
        else:
            candidates = []
            prepared = self.prepare(query)
            for rows, tier in tiers:
                scored = (
                    self.candidates(query, rows.astype(np.int64), prepared) if len(rows) else []
                )
                for c in scored:
                    c.tier = tier
                candidates.extend(scored)
            if not candidates:
                if vendor_names:
                    return self._abstain(query, notes, vendor_names)
                return self._weak(query, notes)
        # Passages about the asked vendor always qualify; anything else (no vendor named, or a
        # passage elsewhere that only names the vendor) must be close to the best match, so a
        # weak passage about another vendor is never offered as if it answered.
        floor = RELATIVE_FLOOR * max((c.fused for c in candidates), default=0.0)
        candidates = [c for c in candidates if (tiers and c.tier == 0) or c.fused >= floor]
        results = self._results(query, candidates, k, tuple(vendor_names))
        self._flag_superseded(results, notes, asked)
        message = self._summary(results)
        if vendor_names:
            message = message.rstrip(".") + f" about {_join(vendor_names)}."
        return Answer(
            query=query, results=results, message=message, vendors=vendor_names, notices=notes
        )

    def _summary(self, results: list[Result]) -> str:
        sources = len({r.article.id for r in results})
        return f"{_plural(len(results), 'passage')} from {_plural(sources, 'source')}."

    def _results(
        self, query: str, candidates: list[Candidate], k: int, vendor_terms: tuple[str, ...]
    ) -> list[Result]:
        """Top-k results: at most MAX_PER_ARTICLE per article, near-duplicates folded in."""
        picked: list[tuple[Candidate, Result]] = []
        per_article: dict[int, int] = {}
        shown_cluster: dict[int, Result] = {}
        for c in candidates:
            article_idx, start, end = (int(x) for x in self.index.passages[c.row])
            cluster = self.cluster_of.get(article_idx)
            if cluster is not None and cluster in shown_cluster:
                owner = shown_cluster[cluster]
                ref = ArticleRef.of(self.index.articles[article_idx])
                if ref.id != owner.article.id and ref not in owner.also_in:
                    owner.also_in.append(ref)
                if ref.id != owner.article.id:
                    continue
            if per_article.get(article_idx, 0) >= MAX_PER_ARTICLE:
                continue
            per_article[article_idx] = per_article.get(article_idx, 0) + 1
            result = self._result(article_idx, start, end, c.fused, query, vendor_terms)
            if cluster is not None and cluster not in shown_cluster:
                shown_cluster[cluster] = result
                result.also_in = [
                    ArticleRef.of(self.index.articles[a])
                    for a in self.clusters[cluster]
                    if a != article_idx
                ]
            picked.append((c, result))
            if len(picked) >= k:
                break
        picked = self._newer_first_on_ties(picked)
        results = [r for _, r in picked]
        for rank, result in enumerate(results, 1):
            result.rank = rank
        return results

    def _newer_first_on_ties(
        self, picked: list[tuple[Candidate, Result]]
    ) -> list[tuple[Candidate, Result]]:
        """Among equally relevant results (same tier, scores within TIE_EPSILON), newer first."""
        items = list(picked)
        changed = True
        while changed:
            changed = False
            for i in range(len(items) - 1):
                (a, ra), (b, rb) = items[i], items[i + 1]
                if (
                    a.tier == b.tier
                    and abs(a.fused - b.fused) < TIE_EPSILON
                    and (rb.article.published or "") > (ra.article.published or "")
                ):
                    items[i], items[i + 1] = items[i + 1], items[i]
                    changed = True
        return items

    def _result(
        self,
        article_idx: int,
        start: int,
        end: int,
        score: float,
        query: str,
        vendor_terms: tuple[str, ...],
    ) -> Result:
        article = self.index.articles[article_idx]
        quote = article.text[start:end]
        return Result(
            rank=0,
            score=score,
            quote=quote,
            article=ArticleRef.of(article),
            start=start,
            end=end,
            highlights=key_sentences(
                quote, query, idf=self._idf, vendor_terms=vendor_terms, max_sentences=2
            ),
            vendors=[self.vendors.name(v) for v in self.vendors.about[article_idx]],
        )

    def _newest_about(self, keys: list[str], after: date, exclude: set[int]) -> int | None:
        """The newest article about any of `keys` published after `after`, if any."""
        best: int | None = None
        for key in keys:
            for idx in self._by_date.get(key, ()):  # newest first: the first usable one wins
                if self._ordinal[idx] <= after.toordinal():
                    break
                if idx not in exclude:
                    if best is None or self._ordinal[idx] > self._ordinal[best]:
                        best = idx
                    break
        return best

    def _flag_superseded(
        self, results: list[Result], notes: list[str], asked: list[str] | None
    ) -> None:
        """Point every result to the newest later article about the same vendor, if any.

        "Same vendor" is the vendor asked about when the query names one (a passage about
        Kaspersky that mentions Cisco is not superseded by newer Kaspersky news for a Cisco
        question), else the vendors the quoted article is about.
        """
        for result in results:
            idx = self._article_index[result.article.id]
            article = self.index.articles[idx]
            if article.published is None:
                continue
            cluster = self.cluster_of.get(idx)
            exclude = {idx} | (set(self.clusters[cluster]) if cluster is not None else set())
            keys = asked if asked is not None else self.vendors.about[idx]
            newer = self._newest_about(keys, article.published, exclude)
            if newer is not None:
                result.superseded_by = ArticleRef.of(self.index.articles[newer])
        if results and results[0].superseded_by is not None:
            newer_ref = results[0].superseded_by
            notes.append(
                f"A newer source exists than the first quote ({results[0].article.published}): "
                f"{newer_ref.title!r} ({newer_ref.publisher or 'unknown publisher'}, "
                f"{newer_ref.published})."
            )

    def _brief(self, query: str, keys: list[str], k: int, notes: list[str]) -> Answer:
        """One best quote per article about the vendor(s), newest first, as a timeline."""
        names = [self.vendors.name(key) for key in keys]
        vector = self.embedder.embed([" ".join(names)])[0]
        # One entry per story: a wire story republished elsewhere is shown once, from the
        # outlet that published it first, with the others listed under it.
        about = {a for key in keys for a in self.vendors.about_articles.get(key, [])}
        representative: dict[int, int] = {}
        for a in about:
            cluster = self.cluster_of.get(a)
            members = (
                [m for m in self.clusters[cluster] if m in about] if cluster is not None else [a]
            )
            representative[a] = min(members, key=lambda m: (self._ordinal[m] or 10**9, m))
        articles = sorted(
            set(representative.values()),
            key=lambda a: (-self._ordinal[a], self.index.articles[a].id),
        )
        mentioned = set(np.concatenate([self.vendors.mention_rows(v) for v in keys]).tolist())
        results: list[Result] = []
        for article_idx in articles:
            rows = self.vendors.article_rows(article_idx)
            if len(rows) == 0:
                continue
            # The lede summarises a news article: the first passage naming the vendor, else
            # the passage closest in meaning to the vendor's name.
            naming = [int(r) for r in rows if int(r) in mentioned]
            scores = self._dense_of(rows, vector)
            row = naming[0] if naming else int(rows[int(np.argmax(scores))])
            _, start, end = (int(x) for x in self.index.passages[row])
            score = float(scores[row - int(rows[0])])
            result = self._result(article_idx, start, end, score, query, tuple(names))
            result.also_in = [
                ArticleRef.of(self.index.articles[a])
                for a in sorted(about, key=lambda m: (self._ordinal[m], m))
                if representative[a] == article_idx and a != article_idx
            ]
            results.append(result)
            if len(results) >= max(k, BRIEF_MIN_ITEMS):
                break
        dated = [r for r in results if r.article.published]
        if dated:
            newest = dated[0].article
            for r in results[1:]:
                if r.article.published and r.article.published < newest.published:
                    r.superseded_by = newest
        for rank, result in enumerate(results, 1):
            result.rank = rank
        span = ""
        if dated:
            oldest = dated[-1].article.published
            span = f", {oldest} to {dated[0].article.published}" if len(dated) > 1 else ""
            span = span or f", {dated[0].article.published}"
        count = _plural(len(results), "source")
        if len(articles) > len(results):
            count = f"the {len(results)} newest of {len(articles)} sources"
        message = f"{_join(names)}: {count}{span}, newest first."
        return Answer(
            query=query, kind="brief", results=results, message=message, vendors=names,
            notices=notes,
        )  # fmt: skip
