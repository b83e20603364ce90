"""Does an article mention a name (a watched vendor, a feed keyword)? And the quote that shows it.

Matching is case-insensitive on whole words (so "Kaspersky" matches "Kaspersky's" but "ZTE"
does not match "ZTEK"), with any run of whitespace matching a space in the name.
"""

from __future__ import annotations

import re
from functools import lru_cache

from index.articles import Article
from index.text.chunking import paragraphs, sentences

MAX_QUOTE_CHARS = 300


@lru_cache(maxsize=1024)
def _pattern(term: str) -> re.Pattern[str]:
    words = [re.escape(w) for w in term.split()]
    return re.compile(r"(?<!\w)" + r"\s+".join(words) + r"(?!\w)", re.IGNORECASE)


def clean_term(term: str) -> str:
    return " ".join(term.split())


def find_mention(text: str, term: str) -> re.Match[str] | None:
    term = clean_term(term)
    return _pattern(term).search(text) if term else None


def mentions(article: Article, term: str) -> bool:
    term = clean_term(term)
    if not term:
        return False
    if any(v.casefold() == term.casefold() for v in article.vendors):
        return True
    return bool(find_mention(article.title, term) or find_mention(article.text, term))


def key_quote(article: Article, term: str) -> str:
    """The sentence of the article that first mentions `term` (else its first sentence)."""
    match = find_mention(article.text, term)
    position = match.start() if match else 0
    for paragraph in paragraphs(article.text):
        if paragraph.start <= position < paragraph.end or not match:
            for sentence in sentences(article.text, paragraph):
                if sentence.end > position or not match:
                    return _cut(article.text[sentence.start : sentence.end])
            return _cut(article.text[paragraph.start : paragraph.end])
    return _cut(article.text)


def _cut(text: str) -> str:
    text = " ".join(text.split())
    if len(text) <= MAX_QUOTE_CHARS:
        return text
    return text[:MAX_QUOTE_CHARS].rsplit(" ", 1)[0] + "…"
