"""The one BM25 tokenizer: lower-case, split, drop English stopwords, Snowball-stem.

The same terms at build time (`tokenize`, batch: `store/lexical.py` indexes passages with it)
and at query time (`stems`, one text: the query, each quoted sentence, single words, with a
per-word cache). Both do what `bm25s.tokenize(texts, stopwords="en", stemmer=...)` does, in
its order; tests check the output is identical. They do it directly because that call costs
~0.1-0.6 ms of fixed overhead per call (three tqdm bars even when disabled, a fresh stopword
set per text), and a query tokenizes ~15 times.
"""

from __future__ import annotations

import re
from collections.abc import Sequence
from functools import lru_cache

# Tokens like "17-01", "889" and "GSA" matter in vendor-risk questions: keep 2+ char words,
# and single digits too.
TOKEN_PATTERN = r"(?u)\b\w\w+\b|\b\d\b"
# Bumped whenever the terms change (these, or the rule numbers of `identifiers.py`): an index
# built with other terms is rebuilt (its BM25 part and vendor data; vectors are reused), since
# a query's terms must be the index's.
TERMS_VERSION = 3

_words = re.compile(TOKEN_PATTERN).findall
# Dotted abbreviations are one word: "D.C." is "dc" (as a question types it), "U.S." is "us",
# "P.R.C." is "prc"; split at the dots they would be single letters, which are dropped.
_DOTTED = re.compile(r"\b(?:[^\W\d_]\.){2,}")


def _split(text: str) -> list[str]:
    if "." in text:
        text = _DOTTED.sub(lambda m: m.group().replace(".", ""), text)
    return _words(text)


@lru_cache(maxsize=1)
def stemmer():  # type: ignore[no-untyped-def]
    import Stemmer

    return Stemmer.Stemmer("english")


@lru_cache(maxsize=1)
def stopwords() -> frozenset[str]:
    from bm25s.stopwords import STOPWORDS_EN

    return frozenset(STOPWORDS_EN)


def tokenize(texts: Sequence[str]) -> list[list[str]]:
    """The BM25 terms of each text (what the lexical index is built from)."""
    stop, stem = stopwords(), stemmer().stemWords
    out = []
    for text in texts:
        tokens = [t for t in _split(text.lower()) if t not in stop]
        out.append(stem(tokens) if tokens else [])
    return out


# word -> its term ("" for a stopword), filled as words are met: a dictionary read per word
# instead of a cached call (the key-sentence picker stems every word of every quote).
_TERMS: dict[str, str] = {}
_MAX_TERMS = 200_000


def stems(text: str) -> list[str]:
    """The BM25 terms of `text`, in order: `tokenize([text])[0]`, cached per word."""
    return stem_words(_split(text.lower()))


def stem_words(words: list[str]) -> list[str]:
    """The BM25 terms of already split, lower-case `words` (stopwords dropped)."""
    return [t for t in word_terms(words) if t]


def word_terms(words: list[str]) -> list[str]:
    """One term per lower-case word of `words`, in order: its BM25 term, "" for a stopword."""
    table = _TERMS
    new = [w for w in words if w not in table]
    if new:
        if len(table) > _MAX_TERMS:
            table.clear()
        stop = stopwords()
        new = list(dict.fromkeys(new))
        for word, term in zip(new, stemmer().stemWords(new), strict=True):
            table[word] = "" if word in stop else term
    return list(map(table.__getitem__, words))
