"""Each passage's sentences and the BM25 terms of each, worked out when a generation is written,
so that an answer reads its quotes' key-sentence material instead of computing it per quote
(`text/highlight.py`: segmenting and stemming a fresh quote cost ~0.5 ms of every answer at
100k passages, `benchmarks/path_stages.py`).

The files, in `sentences/` of a generation (.npy files memory-mapped at load)::

    rows.npy      int64 (passages + 1): passage p's sentences are rows[p]:rows[p + 1]
    spans.npy     int32 (sentences, 2): start and end of each, relative to its passage
    terms_at.npy  int64 (sentences + 1): sentence s's terms are terms[terms_at[s]:terms_at[s+1]]
    terms.npy     int32: term ids, each sentence's distinct terms in the order they first occur
    vocab.txt     the terms, one a line (a term's id is its line number)

They hold exactly what `highlight.sentence_terms(quote)` computes for the passage's text (a
test compares the two on every passage). A generation written before them has none: its key
sentences are computed from the quote, as they always were.
"""

from __future__ import annotations

from collections.abc import Sequence
from itertools import pairwise
from pathlib import Path

import numpy as np

from index.errors import IndexCorruptError
from index.store.generations import REBUILD_HINT
from index.text.chunking import sentences
from index.text.highlight import SentenceTerms, sentence_stems

SENTENCES = "sentences"
_FILES = ("rows.npy", "spans.npy", "terms_at.npy", "terms.npy")
MAX_KEPT = 4096  # passages whose sentences are kept once read


class SentenceTable:
    """Sentence spans and term sets per passage row (`of`), as `highlight.sentence_terms`."""

    def __init__(
        self,
        rows: np.ndarray,
        spans: np.ndarray,
        terms_at: np.ndarray,
        terms: np.ndarray,
        vocab: list[str],
    ) -> None:
        self.rows, self.spans, self.terms_at, self.terms = rows, spans, terms_at, terms
        self.vocab = vocab
        # Kept for the passages quoted most recently, as `highlight.sentence_terms` keeps them
        # per quote: answers about one vendor quote the same passages (about half of the
        # passages `benchmarks.query_latency`'s fresh questions quote were quoted before). A
        # plain dict, not an lru_cache of a bound method: that would be a reference cycle.
        self._kept: dict[int, SentenceTerms] = {}

    @property
    def size(self) -> int:
        return len(self.rows) - 1

    def of(self, row: int) -> SentenceTerms:
        """Passage `row`'s sentence spans (inside its text) and the terms of each (read-only:
        shared between answers)."""
        kept = self._kept.get(row)
        if kept is None:
            if len(self._kept) >= MAX_KEPT:
                self._kept.clear()
            kept = self._kept[row] = self._read(row)
        return kept

    def _read(self, row: int) -> SentenceTerms:
        first, last = self.rows[row : row + 2].tolist()
        if first == last:
            return (), ()
        bounds = self.terms_at[first : last + 1].tolist()
        base = bounds[0]
        words = list(map(self.vocab.__getitem__, self.terms[base : bounds[-1]].tolist()))
        sets = tuple(frozenset(words[a - base : b - base]) for a, b in pairwise(bounds))
        return tuple(map(tuple, self.spans[first:last].tolist())), sets  # type: ignore[return-value]

    @classmethod
    def build(
        cls,
        texts: Sequence[str],
        previous: SentenceTable | None = None,
        same_as: Sequence[int | None] = (),
    ) -> SentenceTable:
        """The table for passages of `texts` (one text per row). A row with `same_as[row]`
        not None is that row of `previous` (the same passage text, in an unchanged article):
        its arrays are copied, not segmented again. The vocabulary starts as `previous`'s, so
        copied term ids stay valid."""
        vocab = {t: i for i, t in enumerate(previous.vocab)} if previous is not None else {}
        pieces = _Pieces()
        row = 0
        while row < len(texts):
            old = same_as[row] if previous is not None and row < len(same_as) else None
            if old is None:
                pieces.add_text(texts[row], vocab)
                row += 1
                continue
            run = 1  # consecutive rows copied from consecutive old rows: one slice each
            while row + run < len(texts) and row + run < len(same_as):
                if same_as[row + run] != old + run:
                    break
                run += 1
            pieces.add_copy(previous, old, old + run)  # type: ignore[arg-type]
            row += run
        return pieces.table(list(vocab))

    def save(self, directory: Path) -> None:
        directory.mkdir(parents=True, exist_ok=True)
        for name, array in zip(
            _FILES, (self.rows, self.spans, self.terms_at, self.terms), strict=True
        ):
            np.save(directory / name, array)
        (directory / "vocab.txt").write_text("\n".join(self.vocab), encoding="utf-8")

    @classmethod
    def load(cls, directory: Path, passages: int) -> SentenceTable | None:
        """The table of a generation, or None for one written before tables were."""
        if not directory.is_dir():
            return None
        try:
            arrays = [
                np.asarray(np.load(directory / name, mmap_mode="r", allow_pickle=False))
                for name in _FILES
            ]
            text = (directory / "vocab.txt").read_text(encoding="utf-8")
        except (OSError, ValueError, UnicodeDecodeError):
            raise IndexCorruptError(f"{directory} is unreadable; {REBUILD_HINT}") from None
        table = cls(*arrays, vocab=text.split("\n") if text else [])
        if not table._consistent(passages):
            raise IndexCorruptError(f"{directory} does not fit the passages; {REBUILD_HINT}")
        return table

    def _consistent(self, passages: int) -> bool:
        """The shapes and ends agree (reading every term id to check its range would page in
        the whole file at load; the manifest's sizes and hashes guard the contents)."""
        rows, spans, terms_at, terms = self.rows, self.spans, self.terms_at, self.terms
        return (
            rows.ndim == 1
            and len(rows) == passages + 1
            and spans.ndim == 2
            and spans.shape[1] == 2
            and int(rows[0]) == 0
            and int(rows[-1]) == len(spans)
            and len(terms_at) == len(spans) + 1
            and int(terms_at[-1]) == len(terms)
        )


class _Pieces:
    """A table being built: per passage its sentence count, per sentence its span and term
    count, and the term ids; new passages gathered as lists, copied runs as array slices,
    joined at the end."""

    def __init__(self) -> None:
        self.parts: list[tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]] = []
        self._new()

    def _new(self) -> None:
        self.counts: list[int] = []
        self.spans: list[tuple[int, int]] = []
        self.lengths: list[int] = []
        self.terms: list[int] = []

    def _flush(self) -> None:
        if self.counts:
            self.parts.append(
                (
                    np.asarray(self.counts, dtype=np.int64),
                    np.asarray(self.spans, dtype=np.int32).reshape(-1, 2),
                    np.asarray(self.lengths, dtype=np.int64),
                    np.asarray(self.terms, dtype=np.int32),
                )
            )
            self._new()

    def add_text(self, text: str, vocab: dict[str, int]) -> None:
        found = sentences(text)
        for span, stems in zip(found, sentence_stems(text, found), strict=True):
            self.spans.append((span.start, span.end))
            before = len(self.terms)
            self.terms.extend(vocab.setdefault(t, len(vocab)) for t in dict.fromkeys(stems))
            self.lengths.append(len(self.terms) - before)
        self.counts.append(len(found))

    def add_copy(self, table: SentenceTable, first: int, last: int) -> None:
        """Rows first..last-1 of `table`, as they are."""
        self._flush()
        s0, s1 = int(table.rows[first]), int(table.rows[last])
        t0, t1 = int(table.terms_at[s0]), int(table.terms_at[s1])
        self.parts.append(
            (
                np.diff(table.rows[first : last + 1]),
                np.asarray(table.spans[s0:s1]).reshape(-1, 2),
                np.diff(table.terms_at[s0 : s1 + 1]),
                np.asarray(table.terms[t0:t1]),
            )
        )

    def table(self, vocab: list[str]) -> SentenceTable:
        self._flush()
        counts, spans, lengths, terms = ([part[i] for part in self.parts] for i in range(4))
        zero = np.zeros(1, dtype=np.int64)
        return SentenceTable(
            np.cumsum(np.concatenate([zero, *counts])).astype(np.int64),
            np.concatenate([np.zeros((0, 2), np.int32), *spans]).astype(np.int32),
            np.cumsum(np.concatenate([zero, *lengths])).astype(np.int64),
            np.concatenate([np.zeros(0, np.int32), *terms]).astype(np.int32),
            vocab,
        )
