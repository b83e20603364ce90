"""A multi-word name as the question writes it: "Peru Telecom Americas" is not "Peru Unicom
Americas", though both name Peru and Americas. Fictional texts: behaviour, not quality."""

from __future__ import annotations

import pytest
from conftest import fictional_retriever

from index.search.retriever import Retriever
from index.search.written import written_names

ARTICLES = {
    "unicom-revoked.md": (
        "Regulator Revokes Peru Unicom Americas Authority",
        "2022-01-27",
        "Peru Unicom Americas is no longer allowed to provide telecom service in the United "
        "States, the regulator said.\n\nPeru Unicom Americas said it would appeal.",
    ),
    "telecom-order.md": (
        "Peru Telecom Americas Authority Under Review",
        "2021-11-23",
        "Peru Telecom Americas was ordered to explain why it should still be allowed to "
        "operate.\n\nThe company says it has always complied with the law.",
    ),
    "unrelated.md": (
        "Harbour Cranes Inspected",
        "2023-05-02",
        "Inspectors checked the harbour cranes at three ports this spring and found no faults."
        "\n\nThe next inspection is due in the autumn.",
    ),
}


@pytest.fixture(scope="module")
def retriever(tmp_path_factory, embedder) -> Retriever:
    return fictional_retriever(tmp_path_factory.mktemp("written-names"), ARTICLES, embedder)


def test_the_passages_writing_the_whole_name_rank_first(retriever):
    """Both articles name Peru and Americas (the names read); the sibling's passage is the
    closer one by cosine and BM25, so only the whole name as written puts the company's own
    article first."""
    answer = retriever.ask("is Peru Telecom Americas still allowed to provide service?")
    assert answer.results, answer.message
    assert answer.results[0].article.id == "telecom-order"
    # the sibling company is still there, below: nothing is filtered away
    assert "unicom-revoked" in [r.article.id for r in answer.results]


def test_names_are_read_as_capitalised_runs():
    assert written_names("did the Bureau of Industry and  Security act?") == [
        ["Bureau", "of", "Industry", "and", "Security"]
    ]
    assert written_names("is Peru Telecom Americas ok since 2021?") == [
        ["Peru", "Telecom", "Americas"]
    ]
    assert written_names("is kaspersky banned?") == []


def test_a_phrase_is_found_whatever_the_case_of_its_words():
    """`rows_writing` skips passages that cannot hold a phrase before running its pattern;
    that check must ignore case as the pattern does (names arrive capitalised)."""
    import numpy as np

    from index.search.phrases import rows_writing

    texts = ["Peru Telecom (Americas) Corp. filed.", "peru telecom americas", "Peru Unicom"]
    found = rows_writing([["Peru", "Telecom", "Americas"]], np.arange(3), texts.__getitem__)
    assert found.tolist() == [0, 1]


def test_a_possessive_name_is_held_to_its_full_form_and_labelled_as_written(retriever):
    """ "Peru Telecom Americas' authority": the possessive's apostrophe kept the written name
    from holding the name read ("americas'"), so the sibling could come first, and the answer
    was labelled "about Americas"."""
    for question in (
        "is Peru Telecom Americas' authority still allowed to provide service?",
        "is Peru Telecom Americas's authority still allowed to provide service?",
    ):
        answer = retriever.ask(question)
        assert answer.results, answer.message
        assert answer.results[0].article.id == "telecom-order", question
        assert answer.message.endswith("about Peru Telecom Americas."), answer.message
