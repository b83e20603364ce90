"""Vendor names as people type them: a company's full legal name, a misspelling that looks like
a person met once, a hyphenated name typed without its hyphen. Fictional texts: behaviour, not
quality (the second probing round, tests/fixtures/realeval/probes2-judged.md)."""

from __future__ import annotations

import pytest
from conftest import fictional_retriever

from index.search.retriever import Retriever

ARTICLES = {
    "brandvox-removal.md": (
        "Agencies Told to Remove Brandvox Cameras",
        "2023-05-02",
        "Federal agencies must remove Brandvox cameras from their buildings within a year, the "
        "directive says. Brandvox said its cameras meet every federal standard.\n\nContractors "
        "may not install Brandvox equipment in federal buildings after the deadline.",
    ),
    "brandvox-advisory.md": (
        "Brandvox Camera Flaw Lets Attackers Log In",
        "2022-03-10",
        "Brandvox cameras let remote attackers log in without a password, an advisory says. "
        "Brandvox released new firmware for the affected cameras.\n\nOwners who cannot update "
        "should block the cameras' management port on their systems; a bright light shows the "
        "fix is in.",
    ),
    "trade-list.md": (
        "Commerce Adds Two Firms to Its Trade List",
        "2024-01-15",
        "The rule adds Ningbo Brandvox Vision Technology Co., Ltd. and Summit Networks to the "
        "trade list. Exports to both now need a licence.\n\nThe Department said the firms "
        "support surveillance programmes abroad.",
    ),
    "veltron-suit.md": (
        "Regulator Sues Router Maker Vel-Tron",
        "2021-06-08",
        "The trade regulator sued Vel-Tron over router flaws it left unfixed for years. The "
        "firm said the routers Vel-Tron sold met every standard.\n\nA judge will hear the "
        "motion to dismiss in the autumn.",
    ),
    "camera-law.md": (
        "Congress Passes Camera Law",
        "2024-07-01",
        "The Protecting Agencies from Hostile Cameras Act bars agencies from buying cameras made "
        "by listed firms. Under the Protecting Agencies from Hostile Cameras Act, agencies have "
        "two years to replace them.\n\nThe law also funds 318 replacement cameras; § 4127 sets "
        "the deadline.",
    ),
    "senator-letter.md": (
        "Senator Quell Urges Agencies to Act",
        "2024-08-09",
        "Senator Quell said agencies must act on listed cameras this year. Quell said the "
        "directive came too late.\n\nQuell wrote to the agency again in August, and Quell "
        "said a hearing would follow.",
    ),
    "court-ruling.md": (
        "Court Upholds the Camera Directive",
        "2024-03-03",
        "The appeals court upheld the camera directive on Tuesday. Lewis Quarnby argued the "
        "cause for the government.\n\nThe judges said the directive was a reasonable exercise "
        "of the agency's authority.",
    ),
}


@pytest.fixture(scope="module")
def retriever(tmp_path_factory, embedder) -> Retriever:
    return fictional_retriever(tmp_path_factory.mktemp("typing"), ARTICLES, embedder)


@pytest.fixture(scope="module")
def lenient(retriever) -> Retriever:
    """Every passage passes the evidence threshold: only reading the names can abstain."""
    params = retriever.params.with_values(min_evidence=0.0)
    return Retriever(retriever.index, retriever.embedder, params)


def _articles(answer) -> set[str]:
    assert answer.results, answer.message
    return {r.article.id for r in answer.results}


def test_a_full_legal_name_gets_the_company_s_brief_not_only_the_passage_writing_it(retriever):
    """ "Ningbo Brandvox Vision Technology Co., Ltd." is written once, in a trade list; the
    city and the trade word around "Brandvox" are part of the legal name, so the question
    reaches every article about Brandvox, as "Brandvox" alone does."""
    plain = retriever.ask("Brandvox")
    assert plain.kind == "brief" and len(_articles(plain)) == 3
    for typed in (
        "Ningbo Brandvox Vision Technology Co., Ltd.",
        "Brandvox Vision Technology Co.",
    ):
        answer = retriever.ask(typed)
        assert answer.kind == "brief", typed
        assert _articles(answer) == _articles(plain), typed


def test_a_misspelling_is_not_read_as_a_person_the_corpus_names_once(retriever):
    """ "Quarmby" is one letter from the attorney "Quarnby" of a court ruling: an unknown
    name, not a reason to quote that ruling. A vendor spelt wrong is still read as it."""
    answer = retriever.ask("are Quarmby phones allowed?")
    assert not answer.results
    assert answer.message.startswith("Nothing in the corpus about Quarmby.")
    misspelt = retriever.ask("are brandvix cameras allowed in federal buildings?")
    assert "Read 'brandvix' as Brandvox." in misspelt.notices
    assert _articles(misspelt) <= {"brandvox-removal", "brandvox-advisory", "trade-list"}


def test_a_hyphenated_name_typed_without_its_hyphen_is_the_name(retriever):
    answer = retriever.ask("did the regulator sue veltron?")
    assert "Read 'veltron' as Vel-Tron." in answer.notices
    assert answer.results and answer.results[0].article.id == "veltron-suit"


def test_everyday_words_typed_as_a_company_name_no_passage_writes_are_an_unknown_name(lenient):
    """ "Bright Systems": both words are in the corpus (a bright light, their systems), never
    together, so it is a company the corpus does not cover, even where any passage would pass
    the evidence threshold; "Summit Networks", which the trade list writes, is answered."""
    answer = lenient.ask("is Bright Systems allowed in federal buildings?")
    assert not answer.results
    assert answer.message.startswith("Nothing in the corpus about Bright Systems.")
    assert "trade-list" in _articles(lenient.ask("is Summit Networks on the trade list?"))


def test_an_everyday_word_capitalised_as_a_name_the_corpus_never_capitalises_is_unknown(lenient):
    """ "can contractors install Bright cameras ...?": the corpus writes "bright" only as a word, so the capital
    makes it a company the corpus does not cover; a term capitalised for emphasis that a
    passage writes with the word beside it ("Management port") is still answered."""
    answer = lenient.ask("can contractors install Bright cameras in federal buildings?")
    assert not answer.results
    assert answer.message.startswith("Nothing in the corpus about Bright.")
    assert "brandvox-advisory" in _articles(lenient.ask("should we block the Management port?"))


def test_a_law_called_by_its_initials_the_corpus_never_writes_is_read_as_the_law(retriever):
    """ "PAHCA": the corpus writes the Protecting Agencies from Hostile Cameras Act in full
    only; its initials (without "from", with or without the "A" of "Act") reach it."""
    for question in ("what does PAHCA require?", "what does the PAHC require?"):
        answer = retriever.ask(question)
        assert answer.results, (question, answer.message)
        assert answer.results[0].article.id == "camera-law", question
        assert any("Protecting Agencies from Hostile Cameras Act" in n for n in answer.notices)
    assert not retriever.ask("what does PXHCA require?").results


def test_a_hyphenated_name_of_words_the_corpus_lacks_is_an_unknown_name(lenient):
    """ "qx-nova" is a name no passage writes ("tp-link" was answered with another vendor's
    ban); a hyphenated name spelt wrong is read as the name, and a compound holding a name
    the corpus has ("Brandvox-made") is about that name."""
    answer = lenient.ask("can we buy qx-nova routers for a federal office?")
    assert not answer.results
    assert answer.message.startswith("Nothing in the corpus about qx-nova.")
    misspelt = lenient.ask("did the regulator sue vel-torn?")
    assert "Read 'vel-torn' as Vel-Tron." in misspelt.notices
    assert misspelt.results[0].article.id == "veltron-suit"
    assert "brandvox-removal" in _articles(lenient.ask("are Brandvox-made cameras allowed?"))


def test_an_abstention_names_covered_vendors_not_people_the_corpus_titles(retriever):
    """The text-derived entities include "Quell" (written like a company: "Quell said"); the
    corpus calls him "Senator Quell", so an abstention does not offer him as a vendor."""
    assert "quell" in retriever.vendors.covered()
    answer = retriever.ask("what is the capital of Australia?")
    assert not answer.results
    assert "Vendors covered include: Brandvox" in answer.message
    assert "Quell" not in answer.message


def test_a_section_cited_by_number_answers_only_where_a_passage_cites_it(retriever, lenient):
    """ "section 318": the corpus holds the number (318 cameras), never the section, so it
    is unknown however close a passage is; "12 USC 4127" cites the "§ 4127" a passage writes,
    which puts it on topic although no passage is close enough to the question."""
    answer = lenient.ask("what is section 318?")
    assert not answer.results
    assert answer.message.startswith("Nothing in the corpus about section 318.")
    strict = Retriever(
        retriever.index, retriever.embedder, retriever.params.with_values(min_evidence=0.99)
    )
    cited = strict.ask("what's in 12 USC 4127")
    assert cited.results and cited.results[0].article.id == "camera-law"
