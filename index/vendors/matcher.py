"""Longest-first matching of known vendor names (the lookup table's forms) in text."""

from __future__ import annotations

import re

from index.vendors.names import POSSESSIVE

_LOOKUP_WORD = re.compile(r"[\w&]+")


class NameMatcher:
    """Longest-first matching of known names in text, fast enough for a 100k-passage corpus:
    only positions whose word starts some known name are tried."""

    def __init__(self, lookup: dict[str, str]) -> None:
        self.lookup = lookup
        self.size = len(lookup)  # the lookup grows during a build: rebuild when it has
        self.first_words = {k.split(" ", 1)[0] for k in lookup}
        self.max_n = min(6, max((k.count(" ") + 1 for k in lookup), default=1))

    def hits(self, text: str) -> list[str]:
        """Entity keys of every known name in `text`, in order."""
        # Possessives become spaces: "Quillon's" -> "quillon".
        tokens = [t for t in _LOOKUP_WORD.findall(POSSESSIVE.sub("  ", text).lower()) if t != "_"]
        first_words, lookup, max_n = self.first_words, self.lookup, self.max_n
        hits: list[str] = []
        i = 0
        while i < len(tokens):
            if tokens[i] not in first_words:
                i += 1
                continue
            for n in range(min(max_n, len(tokens) - i), 0, -1):
                gram = " ".join(tokens[i : i + n]) if n > 1 else tokens[i]
                if gram in lookup:
                    hits.append(lookup[gram])
                    i += n
                    break
            else:
                i += 1
        return hits
