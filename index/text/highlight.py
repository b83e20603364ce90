"""Pick the sentence(s) of a passage that answer the query: the key sentence."""

from __future__ import annotations

import re
from collections.abc import Callable
from functools import lru_cache

from index.text.chunking import Span, sentences
from index.text.terms import TOKEN_PATTERN, stem_words, stems

_TOKENS = re.compile(TOKEN_PATTERN)
_WORD_CHAR = re.compile(r"\w")

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


def key_sentences(
    quote: str,
    query: str,
    extra_terms: tuple[str, ...] = (),
    idf: dict[str, float] | Callable[[str], float] | None = None,
    max_sentences: int = 1,
    vendor_terms: tuple[str, ...] = (),
) -> list[tuple[int, int]]:
    """Spans inside `quote` of the sentence(s) sharing the most (IDF-weighted) query terms.

    Vendor-name terms are scored apart (a small bonus): in a passage about Kaspersky every
    sentence may say "Kaspersky", and the answering sentence is the one that also says "GSA".
    Ties go to the earlier sentence; a passage sharing no term with the query highlights its
    first sentence naming the vendor (else its first sentence), so a reader sees where to look.
    """
    spans, token_sets = sentence_terms(quote)
    if not spans:
        return []
    vendor_stems = set(stems(" ".join(vendor_terms)))
    query_terms = set(stems(query)) | set(stems(" ".join(extra_terms)))
    query_terms -= vendor_stems | _QUESTION_STEMS
    weight = (idf if callable(idf) else (idf or {}).get) if idf is not None else None
    scored = []
    for position, (span, present) in enumerate(zip(spans, token_sets, strict=True)):
        terms = sum((weight(t) or 1.0) if weight else 1.0 for t in query_terms & present)
        bonus = VENDOR_BONUS if vendor_stems & present else 0.0
        scored.append((terms + bonus, -position, terms, span))
    scored.sort(key=lambda item: (item[0], item[1]), reverse=True)
    best = scored[0]
    if best[0] <= 0:
        return [(spans[0].start, spans[0].end)]
    chosen = [best]
    # A second sentence only when it answers (query terms, not just the vendor name) about as
    # well as the first.
    for item in scored[1:max_sentences]:
        if best[2] > 0 and item[2] >= SECOND_SENTENCE_RATIO * best[2]:
            chosen.append(item)
    return sorted((span.start, span.end) for *_, span in chosen)


@lru_cache(maxsize=4096)
def sentence_terms(quote: str) -> tuple[tuple[Span, ...], tuple[frozenset[str], ...]]:
    """The sentences of a passage and the terms of each: a function of its text alone, so
    kept for the passages quoted most recently (each answer quotes a handful, and answers
    about one vendor quote the same ones; measured with benchmarks/profile_query.py)."""
    spans = sentences(quote)
    return tuple(spans), tuple(frozenset(t) for t in sentence_stems(quote, spans))


def sentence_stems(quote: str, spans: list[Span]) -> list[list[str]]:
    """`[stems(quote[s.start:s.end]) for s in spans]`, in one pass over the quote.

    Lower-cases and splits the quote once, then hands each word to the sentence holding it.
    That is the same only where no word runs across a sentence edge and lower-casing keeps
    every offset; otherwise (rare: "end.Next", some non-Latin capitals) sentence by sentence.
    """
    lower = quote.lower()
    clean = len(lower) == len(quote) and all(
        (s.start == 0 or not _WORD_CHAR.match(quote, s.start - 1))
        and (s.end >= len(quote) or not _WORD_CHAR.match(quote, s.end))
        for s in spans
    )
    if not clean:
        return [stems(quote[s.start : s.end]) for s in spans]
    out: list[list[str]] = []
    for s in spans:
        out.append(stem_words(_TOKENS.findall(lower, s.start, s.end)))
    return out
