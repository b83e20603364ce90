"""The answer path's shortcuts give what the plain computation gives (issue 14: faster, with
the same answers). Each test compares a shortcut against the computation it replaces, on
inputs that reach every branch, so a shortcut that drifts fails here.

The end-to-end check (every Answer's JSON, before and after) is
`python -m benchmarks.answer_identity`; these are the fast, per-piece versions.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import numpy as np
import pytest

from index.config import EngineConfig
from index.lists.answers import ListStatusProvider
from index.search import passages
from index.search.passages import PassageSearch, member
from index.store.lexical import LexicalIndex
from index.text import highlight
from index.text.chunking import sentences
from index.text.terms import stems

REPO = Path(__file__).resolve().parent.parent


class _Index:  # what PassageSearch reads of a StoredIndex, for BM25 postings alone
    def __init__(self, lexical: LexicalIndex) -> None:
        self.lexical, self.size, self.vectors, self.vendor_data = lexical, lexical.size, None, {}


def test_passages_naming_a_name_are_kept_per_name_read_only_and_only_when_few(monkeypatch):
    texts = ["Huawei ban", "ban on Huawei routers", "ZTE rule", "routers"] * 5 + ["Huawei"]
    search = PassageSearch(_Index(LexicalIndex.build(texts)), embedder=None)  # type: ignore[arg-type]
    monkeypatch.setattr(passages, "MAX_KEPT_ROWS", 10)
    fresh = search._rows_naming(["huawei", "ban"])
    assert len(fresh) == 10 and np.array_equal(search.rows_naming(["huawei", "ban"]), fresh)
    kept = search.rows_naming(["huawei", "ban"])
    assert np.array_equal(kept, fresh) and kept is search.rows_naming(["huawei", "ban"])
    with pytest.raises(ValueError):
        kept[0] = 3  # shared between answers: never changed in place
    assert len(search.rows_naming(["huawei"])) == 11  # too many to keep: computed each time
    assert ("huawei",) not in search._naming


def test_member_is_isin_and_unique_is_np_unique():
    rng = np.random.default_rng(6)
    for _ in range(500):
        values = rng.integers(0, 40, rng.integers(0, 30))
        pool = rng.integers(0, 40, rng.integers(0, 30))
        assert np.array_equal(member(values, pool), np.isin(values, pool))
        for array in (values, values.astype(np.int32), pool[:1]):
            got, expected = passages.unique(array), np.unique(array)
            assert got.dtype == expected.dtype and got.tobytes() == expected.tobytes()


QUOTES = [
    "Kaspersky said it works with governments. The FSB denied it; GSA removed it in 2019.",
    "A b c 5 x_y D.C. and U.S. firms: 52.204-25, M-23-13. ZTE; networks, networking.",
    "Word.Next sentence runs into the first. İstanbul lower-cases longer. Ünïcode 3 ٣ ok.",
    "Rule 5 covers 3 vendors and ٣ more. Section 889 is older; a b c are letters, not terms.",
    "Orbixtel, Zyqa and Vantrio were named. None of these flarn words were seen before.",
]


def test_sentence_terms_are_the_terms_of_each_sentence_read_alone(monkeypatch):
    """Word runs read through the run -> term table give each sentence's terms as stemming
    the sentence alone does (dotted abbreviations aside: key sentences never merged them),
    also for words never met before and after the table fills up and is cleared."""
    monkeypatch.setattr(highlight, "_MAX_RUN_TERMS", 5)
    monkeypatch.setattr(highlight, "_RUN_TERMS", {})
    for _ in range(2):  # a cold table, then a full one (cleared on the way)
        for quote in QUOTES:
            spans = sentences(quote)
            assert spans
            got = highlight.sentence_stems(quote, spans)
            for span, terms in zip(spans, got, strict=True):
                text = quote[span.start : span.end]
                if "." not in text.replace(". ", " ").rstrip("."):  # no dotted abbreviation
                    assert terms == stems(text), text


def test_key_sentences_do_not_depend_on_what_was_asked_before():
    asked = [
        ("did the FSB work with Kaspersky", ("Kaspersky",)),
        ("is ZTE networking banned", ("ZTE",)),
        ("what did GSA remove in 2019", ()),
    ]

    def highlights(order):  # type: ignore[no-untyped-def]
        return {
            (text, i): highlight.key_sentences(q, text, idf=len, vendor_terms=v, max_sentences=2)
            for text, v in order
            for i, q in enumerate(QUOTES)
        }

    first = highlights(asked)
    assert all(first.values())
    highlight.sentence_terms.cache_clear()
    highlight._asked_terms.cache_clear()
    assert highlights(list(reversed(asked))) == first


def test_list_status_follows_a_snapshot_replaced_after_it_was_screened(tmp_path):
    """Screenings are kept per snapshot: a replaced manifest (a sync) is seen at once."""
    corpus = tmp_path / "corpus"
    shutil.copytree(REPO / "corpus" / "lists", corpus / "lists")
    provider = ListStatusProvider(EngineConfig(corpus_dir=corpus, data_dir=tmp_path / "data"))
    [before] = provider.for_names(["Huawei"], ["Huawei"])
    assert before["listed"] and any("FCC" in h["list_name"] for h in before["lists"])
    assert provider.for_names(["Huawei"], ["Huawei"]) == [before]  # kept, and a fresh copy
    manifest = corpus / "lists" / "manifest.json"
    data = json.loads(manifest.read_text())
    del data["sources"]["fcc"]
    replacement = manifest.with_suffix(".tmp")
    replacement.write_text(json.dumps(data))
    replacement.replace(manifest)  # as a sync does: a new file
    [after] = provider.for_names(["Huawei"], ["Huawei"])
    assert not any("FCC" in h["list_name"] for h in after["lists"])


def _rows_writing_plainly(phrases, rows, text_of):  # type: ignore[no-untyped-def]
    """The term-of-art lookup before its word check: one pattern of every phrase, every row."""
    import re

    if not phrases or len(rows) == 0:
        return np.zeros(0, dtype=np.int64)
    alternatives = "|".join(r"\W+".join(re.escape(w) for w in words) for words in phrases)
    pattern = re.compile(rf"\b(?:{alternatives})\b", re.IGNORECASE)
    return np.array([r for r in rows.tolist() if pattern.search(text_of(r))], dtype=np.int64)


def test_term_of_art_rows_are_those_the_plain_pattern_finds():
    """The word check before the pattern drops only passages and phrases the pattern could not
    match, also where ignoring case matches a letter outside ASCII (the Kelvin sign "K" is
    "k", the long "ſ" is "s") and where a phrase's words run across punctuation."""
    from index.search.phrases import question_phrases, rows_writing

    texts = [
        "Agencies must rip and replace Huawei gear; the Rip-and-Replace program pays for it.",
        "The Clean Network program, announced in 2020, named five lines of effort.",
        "They rip out and then replace nothing.",
        "The \u212aaspersky ban in force (a Kelvin sign) and the clean ſupply chain.",
        "Secure and Trusted Communications Networks Act reimbursement program.",
        "Nothing here about any of that; a clean supply chain rule, in plain ASCII.",
        "RIP AND REPLACE, in capitals, across\nlines: rip\nand\nreplace.",
        "THE CLEAN NETWORK PROGRAM, IN CAPITALS ONLY.",
    ]
    questions = [
        "what is the rip and replace program",
        "has the clean network program ended",
        "is the kaspersky ban in force",
        "how does the clean supply chain rule work",
        "how does the clean ſupply chain rule work",  # a long s, matching "s"
        "what does the trusted communications networks act reimburse",
        "who pays for replace rip",
    ]
    rows = np.arange(len(texts))
    found = 0
    for question in questions:
        phrases = question_phrases(question, lambda w: True)
        assert phrases, question
        for subset in (rows, rows[::2], rows[1::2], rows[:0]):
            got = rows_writing(phrases, subset, texts.__getitem__)
            assert np.array_equal(got, _rows_writing_plainly(phrases, subset, texts.__getitem__))
            found += len(got)
    assert found >= 6  # the check above compared passages found, not only empty answers
