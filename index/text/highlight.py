"""Pick the sentence(s) of a passage that answer the query: the key sentence."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from index.text.chunking import Span, sentences
from index.text.terms import stems, word_terms

# A quote's terms, read word run by word run: TOKEN_PATTERN's tokens are the runs of \w of
# two or more characters and the single decimal digits, so one `\w+` scan and a run -> term
# table ("" for a stopword or a lone letter) give the same terms as `stems`, faster.
_RUNS = re.compile(r"\w+")
_WORD_CHAR = re.compile(r"\w")
_RUN_TERMS: dict[str, str] = {}
_MAX_RUN_TERMS = 200_000

# How a question is asked ("does", "can", "would") says nothing about which sentence answers
# it; stemmed, "does" even matches an unrelated "does" in the passage.
_QUESTION_STEMS = frozenset(
    stems(
        "does do did doing has have had having can could would should may might must shall "
        "will am were been being what which who whom whose when where why how whether"
    )
)

# A sentence that also names the vendor asked about wins ties against one that does not.
VENDOR_BONUS = 0.5
# A second sentence is marked too when it is nearly as good as the best one.
SECOND_SENTENCE_RATIO = 0.9


# A quote's sentences, (start, end) inside it, and the terms of each.
SentenceTerms = tuple[tuple[tuple[int, int], ...], tuple[frozenset[str], ...]]


def key_sentences(
    quote: str,
    query: str,
    extra_terms: tuple[str, ...] = (),
    idf: dict[str, float] | Callable[[str], float] | None = None,
    max_sentences: int = 1,
    vendor_terms: tuple[str, ...] = (),
    read: SentenceTerms | None = None,
) -> list[tuple[int, int]]:
    """Spans inside `quote` of the sentence(s) sharing the most (IDF-weighted) query terms.

    Vendor-name terms are scored apart (a small bonus): in a passage about Kaspersky every
    sentence may say "Kaspersky", and the answering sentence is the one that also says "GSA".
    Ties go to the earlier sentence; a passage sharing no term with the query highlights its
    first sentence naming the vendor (else its first sentence), so a reader sees where to look.
    `read` is `sentence_terms(quote)` when the caller has it already (the index stores it per
    passage: `store/sentences.py`).
    """
    spans, token_sets = read if read is not None else sentence_terms(quote)
    if not spans:
        return []
    query_terms, vendor_stems = _asked_terms(query, extra_terms, vendor_terms)
    weight = (idf if callable(idf) else (idf or {}).get) if idf is not None else None
    # Each query term's weight, looked up once per quote rather than once per sentence.
    weights = {t: ((weight(t) or 1.0) if weight else 1.0) for t in query_terms}.__getitem__
    scored = []
    for position, (span, present) in enumerate(zip(spans, token_sets, strict=True)):
        terms = sum(map(weights, query_terms & present))
        bonus = 0.0 if vendor_stems.isdisjoint(present) else VENDOR_BONUS
        scored.append((terms + bonus, -position, terms, span))
    scored.sort(key=lambda item: (item[0], item[1]), reverse=True)
    best = scored[0]
    if best[0] <= 0:
        return [spans[0]]
    chosen = [best]
    # A second sentence only when it answers (query terms, not just the vendor name) about as
    # well as the first.
    for item in scored[1:max_sentences]:
        if best[2] > 0 and item[2] >= SECOND_SENTENCE_RATIO * best[2]:
            chosen.append(item)
    return sorted(span for *_, span in chosen)


@lru_cache(maxsize=1024)
def _asked_terms(
    query: str, extra_terms: tuple[str, ...], vendor_terms: tuple[str, ...]
) -> tuple[set[str], set[str]]:
    """The question's terms (less the vendor's and the asking words) and the vendor's: the
    same for every quote of one answer, so worked out once (read-only, never mutated)."""
    vendor_stems = set(stems(" ".join(vendor_terms)))
    query_terms = set(stems(query)) | set(stems(" ".join(extra_terms)))
    query_terms -= vendor_stems | _QUESTION_STEMS
    return query_terms, vendor_stems


@lru_cache(maxsize=4096)
def sentence_terms(quote: str) -> SentenceTerms:
    """The sentences of a passage and the terms of each: a function of its text alone, so
    kept for the passages quoted most recently (each answer quotes a handful, and answers
    about one vendor quote the same ones; measured with benchmarks/profile_query.py). An
    index written with `store/sentences.py`'s table has them for every passage already."""
    spans = sentences(quote)
    return tuple((s.start, s.end) for s in spans), tuple(
        frozenset(t) for t in sentence_stems(quote, spans)
    )


def sentence_stems(quote: str, spans: list[Span]) -> list[list[str]]:
    """`[stems(quote[s.start:s.end]) for s in spans]`, in one pass over the quote.

    Lower-cases the quote once, then reads each sentence's word runs through a run -> term
    table. That is the same only where no word runs across a sentence edge and lower-casing
    keeps every offset; otherwise (rare: "end.Next", some non-Latin capitals) sentence by
    sentence.
    """
    lower = quote.lower()
    clean = len(lower) == len(quote) and all(
        (s.start == 0 or not _WORD_CHAR.match(quote, s.start - 1))
        and (s.end >= len(quote) or not _WORD_CHAR.match(quote, s.end))
        for s in spans
    )
    if not clean:
        return [stems(quote[s.start : s.end]) for s in spans]
    runs = [_RUNS.findall(lower, s.start, s.end) for s in spans]
    table = _RUN_TERMS
    missing = [w for words in runs for w in words if w not in table]
    if missing:
        if len(table) > _MAX_RUN_TERMS:
            table.clear()
            missing = [w for words in runs for w in words]
        _learn(missing)
    return [[t for t in map(table.__getitem__, words) if t] for words in runs]


def _learn(runs: list[str]) -> None:
    """Put `runs` in the run -> term table: a token's term (`word_terms`; "" for a
    stopword), "" for a run that is no token."""
    new = list(dict.fromkeys(runs))
    tokens = [run for run in new if len(run) > 1 or run.isdecimal()]  # \w\w+ or a lone \d
    _RUN_TERMS.update(dict.fromkeys(new, ""))
    _RUN_TERMS.update(zip(tokens, word_terms(tokens), strict=True))
