"""Routes of the private set's failure kinds left after the second probing round
(tests/fixtures/realeval/probes2-judged.md): a name typed as two misspelt words, an everyday
word with an ending the corpus lacks, a lone everyday word, a model number inside a product
name, and the "newer source" note of a question that names no vendor. Fictional texts:
behaviour, not quality."""

from __future__ import annotations

import pytest
from conftest import fictional_retriever

from index.search.retriever import Retriever

ARTICLES = {
    "vikvok-ban.md": (
        "Agencies Ban the Vikvok App on Government Phones",
        "2023-02-27",
        "Agencies must remove the Vikvok app from government phones within 30 days, the memo "
        "says. Vikvok said its app keeps user data in the country.\n\nThe memo covers every "
        "device an agency issues.",
    ),
    "vikvok-letter.md": (
        "Senator Quell Presses Vikvok on User Data",
        "2024-09-12",
        "Senator Quell wrote to Vikvok about where it stores user data. Quell said the answers "
        "Vikvok gave were incomplete.\n\nQuell asked for a reply within a month.",
    ),
    "drone-act.md": (
        "Senator Quell Introduces the Skyward Drone Act",
        "2022-05-04",
        "Senator Quell introduced the Skyward Drone Act, which bars agencies from buying drones "
        "made by listed firms. Quell said the act closes a gap in procurement law.\n\nThe act "
        "gives agencies two years to replace their drones.",
    ),
    "contract-rule.md": (
        "Contract Rule Reaches Subcontracts",
        "2021-08-13",
        "The rule bars contractors from using Brandvox cameras, and the ban flows down to "
        "subcontracts at every tier. The ban applies to prime contractors, who must tell their suppliers.\n\nBrandvox "
        "said its cameras meet every federal standard.",
    ),
    "brandvox-advisory.md": (
        "Brandvox Camera Flaw Lets Attackers Log In",
        "2022-03-10",
        "Brandvox cameras let remote attackers log in without a password, an advisory says. "
        "Brandvox released new firmware for the affected cameras.\n\nOwners who cannot update "
        "should block the cameras' management port.",
    ),
    "nsmc-removal.md": (
        "Removal of Northgate Semiconductor Manufacturing Corporation From the Trusted Buyer List",
        "2016-12-05",
        "The rule removes NSMC from the trusted buyer list at its own request.\n\nExporters "
        "now need a licence for the items the authorization covered.",
    ),
    "firms-named.md": (
        "Treasury Names Two Firms Serving the Military",
        "2021-12-16",
        "The firms named today are Corvane Information Works Co., Ltd. and Halden Optics Limited. "
        "Investors must divest their holdings within a year.",
    ),
    "public-works.md": (
        "City Public Works Department Buys Cameras",
        "2020-04-01",
        "The Public Works department bought new cameras for the depot. Public Works said "
        "information from the old cameras was lost.",
    ),
}


@pytest.fixture(scope="module")
def retriever(tmp_path_factory, embedder) -> Retriever:
    return fictional_retriever(tmp_path_factory.mktemp("routes"), ARTICLES, embedder)


@pytest.fixture(scope="module")
def lenient(retriever) -> Retriever:
    """Every passage passes the evidence threshold: only reading the question can abstain."""
    params = retriever.params.with_values(min_evidence=0.0)
    return Retriever(retriever.index, retriever.embedder, params)


def test_a_name_typed_as_two_misspelt_words_is_the_name(retriever):
    """ "vic voc" (Vikvok typed as two words, each a letter off, as "tic toc" is TikTok) was
    abstained on: joined, it is two edits from the name, more than one word of six letters
    may be; each word is one edit from its half."""
    answer = retriever.ask("vic voc app")
    assert "Read 'vic voc' as Vikvok." in answer.notices
    assert answer.results, answer.message
    assert {r.article.id for r in answer.results} <= {"vikvok-ban", "vikvok-letter"}


def test_an_everyday_word_with_an_ending_the_corpus_lacks_is_not_a_name(lenient):
    """ "subcontractors" is not in a corpus writing "subcontracts": a word with an ending the
    stemmer keeps, not an unknown vendor to abstain on."""
    answer = lenient.ask("does the ban apply to subcontractors?")
    assert "Nothing in the corpus about subcontractors" not in answer.message
    assert answer.results, answer.message
    assert answer.results[0].article.id == "contract-rule"


def test_a_lone_everyday_word_is_off_topic_not_a_vendor_with_a_closest_match(lenient):
    """ "tell me a joke" got "Nothing in the corpus about joke. Closest vendors covered: ...":
    a lone everyday word the corpus lacks is off-topic, even where any passage would pass the
    evidence threshold. An unknown rare word alone ("zorblax") is still an unknown name."""
    answer = lenient.ask("tell me a joke")
    assert not answer.results
    assert answer.message.startswith("Nothing in the corpus answers 'tell me a joke'.")
    assert "Closest" not in answer.message
    name = lenient.ask("is zorblax banned")
    assert not name.results
    assert name.message.startswith("Nothing in the corpus about zorblax.")


def test_a_model_number_inside_a_product_name_keeps_the_product_whole(retriever):
    """ "Brandvox Nova 4 Pro": the product of a covered vendor, not "Nova" and a second
    unknown name "Pro" (which got its own "Nothing in the corpus about Pro.")."""
    answer = retriever.ask("Brandvox Nova 4 Pro cameras for our lobby")
    assert answer.results, answer.message
    assert any("Brandvox Nova 4 Pro itself" in n for n in answer.notices), answer.notices
    assert not any(n.startswith("Nothing in the corpus about Pro") for n in answer.notices)


def test_a_newer_source_note_points_to_the_same_thing_not_the_same_senator(retriever):
    """A question on the drone act names no vendor; its article is also "about" Senator Quell,
    whose newer letter is about Vikvok: no newer source about the act, so no note. A vendor
    question still gets the note."""
    answer = retriever.ask("what does the Skyward Drone Act do?")
    assert answer.results and answer.results[0].article.id == "drone-act", answer.message
    assert not any("newer source" in n for n in answer.notices), answer.notices
    assert answer.results[0].superseded_by is None
    vendor = retriever.ask("why did agencies ban Vikvok from phones?")
    assert vendor.results and vendor.results[0].article.id == "vikvok-ban"
    assert any("newer source" in n and "Presses Vikvok" in n for n in vendor.notices)


def test_a_name_whose_article_title_spells_it_out_is_not_mentioned_only_in_passing(retriever):
    """The one passage writing "NSMC" is in an article whose title writes the name in full
    ("Northgate Semiconductor Manufacturing Corporation"): the article is about it, so no
    "the corpus mentions NSMC only in passing" (said of the two SMIC rules)."""
    answer = retriever.ask("why was NSMC removed from the trusted buyer list?")
    assert answer.results and answer.results[0].article.id == "nsmc-removal", answer.message
    assert not any("only in passing" in n for n in answer.notices), answer.notices


def test_a_capitalised_word_between_two_name_words_joins_them_into_one_name(lenient):
    """ "Corvane Information Works": "Information" is an everyday word (one questions ask
    with) and "Works" a name of its own (Public Works); the three are one company the firms
    list writes, not "Corvane" and "Works" (which pulled the city's Public Works cameras in,
    as "Dawning Information Industry" pulled in the Bureau of Industry's rules)."""
    answer = lenient.ask("is Corvane Information Works a military company?")
    assert answer.results, answer.message
    assert answer.vendors == ["Corvane Information Works"]
    assert {r.article.id for r in answer.results} == {"firms-named"}
