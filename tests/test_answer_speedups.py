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
from index.search.passages import PassageSearch, QueryScores, member
from index.search.scoring import top_n
from index.store.lexical import LexicalIndex
from index.text import highlight
from index.text.chunking import sentences
from index.text.terms import stems

REPO = Path(__file__).resolve().parent.parent
WORDS = [
    "huawei",
    "zte",
    "kaspersky",
    "ban",
    "rule",
    "order",
    "list",
    "gsa",
    "fcc",
    "network",
    "router",
    "camera",
]


class _Index:  # what PassageSearch reads of a StoredIndex, for a BM25-only search
    def __init__(self, lexical: LexicalIndex) -> None:
        self.lexical, self.size, self.vectors, self.vendor_data = lexical, lexical.size, None, {}


@pytest.fixture(scope="module")
def search() -> PassageSearch:
    rng = np.random.default_rng(4)
    texts = [" ".join(rng.choice(WORDS, rng.integers(3, 12))) for _ in range(1500)]
    texts += ["huawei ban"] * 40 + ["zte rule gsa"] * 30  # many equal scores: ties at the cut
    return PassageSearch(_Index(LexicalIndex.build(texts)), embedder=None)  # type: ignore[arg-type]


def test_bm25_top_n_from_the_passages_that_can_reach_it_is_top_n_over_all(search):
    rng = np.random.default_rng(5)
    asked = [list(rng.choice(WORDS, rng.integers(1, 5), replace=False)) for _ in range(150)]
    asked += [["huawei", "ban"], ["zte"], ["gsa", "rule", "zte"], ["camera"]]
    shortcut = 0
    for words in asked:
        tokens = [t for t in dict.fromkeys(stems(" ".join(words))) if t in search._vocab]
        assert tokens
        scores = QueryScores(np.zeros(1), tokens, search.lexical_scores(tokens))
        for n in (1, 5, 50):
            want = top_n(scores.lexical, n)
            assert len(want)
            assert np.array_equal(search.lexical_top(scores, n), want), (words, n)
            floor = np.sort(scores.lexical[np.unique(search.index.lexical.top_rows(tokens, n))])
            shortcut += len(floor) >= n and np.count_nonzero(scores.lexical >= floor[-n]) < 1500
    assert shortcut > 100  # most questions take the shortcut, not the fallback


def test_member_is_isin():
    rng = np.random.default_rng(6)
    for _ in range(500):
        values = rng.integers(0, 40, rng.integers(0, 30))
        pool = rng.integers(0, 40, rng.integers(0, 30))
        assert np.array_equal(member(values, pool), np.isin(values, pool))


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
