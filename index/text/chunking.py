"""Split an article into passages along paragraph and sentence boundaries.

A passage is a span `[start, end)` of the article text, so every quote can be traced back to
the exact place it came from. Paragraphs are packed together up to `target_tokens`; a paragraph
longer than `max_tokens` is cut between sentences, and a single over-long sentence between
words. Token counts come from the embedding model's own tokenizer, with room left for the
article title, which is prepended as context when embedding.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from sentencex import segment

TokenCounter = Callable[[Sequence[str]], list[int]]
_PARAGRAPH_BREAK = re.compile(r"\n\s*\n")
_WORD = re.compile(r"\S+")


@dataclass(frozen=True)
class Span:
    start: int
    end: int


def _trimmed(text: str, start: int, end: int) -> Span | None:
    while start < end and text[start].isspace():
        start += 1
    while end > start and text[end - 1].isspace():
        end -= 1
    return Span(start, end) if end > start else None


def paragraphs(text: str) -> list[Span]:
    spans: list[Span] = []
    cursor = 0
    for match in _PARAGRAPH_BREAK.finditer(text):
        if (span := _trimmed(text, cursor, match.start())) is not None:
            spans.append(span)
        cursor = match.end()
    if (span := _trimmed(text, cursor, len(text))) is not None:
        spans.append(span)
    return spans


def sentences(text: str, within: Span | None = None) -> list[Span]:
    """Sentence spans (absolute offsets) inside `within` (default: the whole text)."""
    within = within or Span(0, len(text))
    piece = text[within.start : within.end]
    spans: list[Span] = []
    cursor = 0
    for sentence in segment("en", piece):
        found = piece.find(sentence, cursor) if sentence else -1
        if found < 0:
            continue
        cursor = found + len(sentence)
        if (span := _trimmed(text, within.start + found, within.start + cursor)) is not None:
            spans.append(span)
    if not spans and (span := _trimmed(text, within.start, within.end)) is not None:
        spans.append(span)
    return spans


def _split_words(text: str, span: Span, max_tokens: int, count: TokenCounter) -> list[Span]:
    """Last resort for a sentence longer than the model reads: cut between words."""
    words = [
        Span(span.start + m.start(), span.start + m.end())
        for m in _WORD.finditer(text[span.start : span.end])
    ]
    pieces: list[Span] = []
    current: list[Span] = []
    for word in words:
        candidate = [*current, word]
        if current and count([text[candidate[0].start : word.end]])[0] > max_tokens:
            pieces.append(Span(current[0].start, current[-1].end))
            current = [word]
        else:
            current = candidate
    if current:
        pieces.append(Span(current[0].start, current[-1].end))
    return pieces


def _pack(text: str, units: list[Span], tokens: list[int], budget: int) -> list[Span]:
    """Greedily join consecutive units while their token total stays within `budget`."""
    packed: list[Span] = []
    start: Span | None = None
    end: Span | None = None
    total = 0
    for unit, n in zip(units, tokens, strict=True):
        if start is not None and total + n > budget:
            packed.append(Span(start.start, end.end))  # type: ignore[union-attr]
            start, total = None, 0
        if start is None:
            start = unit
        end = unit
        total += n
    if start is not None:
        packed.append(Span(start.start, end.end))  # type: ignore[union-attr]
    return packed


def chunk_text(
    text: str,
    count_tokens: TokenCounter,
    target_tokens: int = 128,
    max_tokens: int = 200,
) -> list[Span]:
    """Passages of `text`, each at most `max_tokens` model tokens (plus the title)."""
    paras = paragraphs(text)
    if not paras:
        return []
    para_tokens = count_tokens([text[p.start : p.end] for p in paras])
    units: list[Span] = []
    unit_tokens: list[int] = []
    for para, n in zip(paras, para_tokens, strict=True):
        if n <= max_tokens:
            units.append(para)
            unit_tokens.append(n)
            continue
        sents = sentences(text, para)
        sent_tokens = count_tokens([text[s.start : s.end] for s in sents])
        pieces: list[Span] = []
        for sent, m in zip(sents, sent_tokens, strict=True):
            pieces.extend(
                _split_words(text, sent, max_tokens, count_tokens) if m > max_tokens else [sent]
            )
        piece_tokens = count_tokens([text[p.start : p.end] for p in pieces])
        # A long paragraph becomes its own passages, packed up to max_tokens.
        for packed in _pack(text, pieces, piece_tokens, max_tokens):
            units.append(packed)
            unit_tokens.append(max_tokens)  # never merged with neighbours
    return _pack(text, units, unit_tokens, target_tokens)


def embedding_input(title: str, passage: str) -> str:
    """What the model reads for a passage: the title as context, then the passage."""
    return f"{title}\n\n{passage}" if title else passage
