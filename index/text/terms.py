"""Query-time term stemming, identical to the BM25 index's tokenizer but without its overhead.

`index.lexical.tokenize` goes through `bm25s.tokenize` (progress-bar machinery, vocabulary
building), which costs ~0.3 ms per call; the query path stems a handful of short strings per
query (the query, each quoted sentence, single words), so it uses this cached equivalent.
"""

from __future__ import annotations

import re
from functools import lru_cache

from bm25s.tokenization import _infer_stopwords

from index.store.lexical import TOKEN_PATTERN, _stemmer

_SPLIT = re.compile(TOKEN_PATTERN).findall
_STOPWORDS = frozenset(_infer_stopwords("en"))


@lru_cache(maxsize=65536)
def _stem(word: str) -> str:
    return _stemmer().stemWord(word)


def stems(text: str) -> list[str]:
    """The BM25 terms of `text`, in order (same lower-casing, pattern, stopwords, stemmer)."""
    return [_stem(w) for w in _SPLIT(text.lower()) if w not in _STOPWORDS]
