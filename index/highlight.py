"""Pick the sentence(s) of a passage that answer the query: the key sentence."""

from __future__ import annotations

from index.chunking import sentences
from index.lexical import tokenize


def key_sentences(
    quote: str,
    query: str,
    extra_terms: tuple[str, ...] = (),
    idf: dict[str, float] | None = None,
    max_sentences: int = 1,
) -> list[tuple[int, int]]:
    """Spans inside `quote` of the sentence(s) sharing the most (IDF-weighted) query terms.

    Ties go to the earlier sentence; a passage sharing no term with the query highlights its
    first sentence, so a reader always sees where to look.
    """
    spans = sentences(quote)
    if not spans:
        return []
    query_terms = set(tokenize([query])[0]) | set(tokenize([" ".join(extra_terms)])[0])
    if not query_terms:
        return [(spans[0].start, spans[0].end)]
    token_lists = tokenize([quote[s.start : s.end] for s in spans])
    scored = []
    for position, (span, tokens) in enumerate(zip(spans, token_lists, strict=True)):
        overlap = query_terms & set(tokens)
        score = sum((idf or {}).get(term, 1.0) for term in overlap)
        scored.append((score, -position, span))
    scored.sort(reverse=True)
    best = [item for item in scored[:max_sentences] if item[0] > 0] or [scored[0]]
    if best[0][0] == 0:
        best = [(0, 0, spans[0])]
    return sorted((span.start, span.end) for _, _, span in best)
