"""Names and rule numbers as the corpus writes them: split names that never occur together,
cite a rule number as written, read "D.C." as "DC". Fictional texts: behaviour, not quality."""

from __future__ import annotations

import pytest
from conftest import fictional_retriever

from index.search.retriever import Retriever
from index.text.terms import stems

ARTICLES = {
    "velloria-ban.md": (
        "Agencies Must Remove Velloria Software",
        "2023-04-02",
        "Federal agencies must remove Velloria antivirus software from their systems within 90 "
        "days, the directive says. Contractors may not supply Velloria products under a federal "
        "contract.\n\nVelloria said it would challenge the directive in court.",
    ),
    "velloria-rule.md": (
        "Contract Clause Bars Velloria Products",
        "2023-09-14",
        "An interim rule adds a contract clause barring Velloria products. Memo M-31-07 tells "
        "agencies to report any Velloria installations by June.\n\nThe rule applies to "
        "resellers who bundle Velloria software into appliances sold to agencies.",
    ),
    "orvex-advisory.md": (
        "Orvex Camera Vulnerability Advisory",
        "2022-11-30",
        "Orvex cameras allow remote login without a password. The CVSS vector is AV:N, and "
        "Orvex AV firmware before 4.2 is affected; Orvex advises an update.\n\nFirewall rules "
        "that block the camera's management port reduce the exposure.",
    ),
    "covered-list.md": (
        "BUREAU OF WIDGET SAFETY SEEKS COMMENT ON VELLORIA",
        "2024-01-09",
        "The Covered List now names Velloria. Firms on the Covered List cannot sell to "
        "carriers, and the Covered List is updated by the Bureau. The Bureau said the Covered "
        "List will grow.\n\nThe Bureau asked for comments on the Covered List by March.",
    ),
    "memo-numbers.md": (
        "Memo 31: What Agencies Must Report",
        "2023-02-01",
        "Memo 31 tells agencies to report travel costs. Item 07 of the memo tells agencies to "
        "report training, and annex M tells agencies what to report by June.\n\nThe memo "
        "expires after fiscal year 2031.",
    ),
    "carrier-fund.md": (
        "Carriers Apply for Reimbursement",
        "2024-03-02",
        "Regional carriers applied to the clean sweep fund this week. The fund pays them to take "
        "out network gear made by listed firms and put in other gear.\n\nThe agency said "
        "applications close in April.",
    ),
    "zyntek-suit.md": (
        "Regulator Sues Router Maker Zyn-Tek",
        "2021-06-08",
        "The trade regulator sued Zyn-Tek over router flaws it left unfixed for years. Zyn-Tek "
        "said the routers met every standard when sold.\n\nA judge will hear Zyn-Tek's motion "
        "to dismiss in the autumn.",
    ),
    "qtx-denial.md": (
        "Commerce Denies Export Privileges to QTX",
        "2024-05-20",
        "The Commerce Department denied export privileges to QTX Corporation on Monday. QTX "
        "sells phones and radio gear to regional carriers.\n\nQTX Corporation said it would "
        "appeal the denial order.",
    ),
}


@pytest.fixture(scope="module")
def retriever(tmp_path_factory, embedder) -> Retriever:
    return fictional_retriever(tmp_path_factory.mktemp("phrases"), ARTICLES, embedder)


def _top_article(answer) -> str:
    assert answer.results, answer.message
    return answer.results[0].article.id


def test_a_vendor_followed_by_a_word_it_is_never_written_with_is_still_the_vendor(retriever):
    """ "Velloria AV": no passage names both, so they are two names, and the Orvex advisory
    (where "AV" is a CVSS field) does not stand in for Velloria."""
    question = (
        "our reseller bundles Velloria AV into their firewall appliance, does that sink the bid?"
    )
    plan = retriever.planner.plan(question)
    assert ["velloria"] in plan.names and ["velloria", "av"] not in plan.names
    answer = retriever.ask(question)
    assert _top_article(answer).startswith("velloria")
    assert not any("only in passing" in note for note in answer.notices)


def test_words_written_together_stay_one_name(retriever):
    plan = retriever.planner.plan("is Orvex AV firmware affected?")
    assert ["orvex", "av"] in plan.names


def test_a_rule_number_is_matched_as_written_not_as_its_digits(retriever):
    answer = retriever.ask("what does memo M-31-07 tell agencies to report?")
    assert _top_article(answer) == "velloria-rule"
    assert "M-31-07" in answer.results[0].quote


@pytest.mark.parametrize(
    ("dotted", "plain"),
    [("the D.C. Circuit ruled", "the DC Circuit ruled"), ("P.R.C. firms", "PRC firms")],
)
def test_dotted_abbreviations_are_one_term(dotted, plain):
    assert stems(dotted) == stems(plain)
    assert "dc" in stems("D.C. Cir. 2018") and "cir" in stems("D.C. Cir. 2018")


def test_rule_numbers_are_cut_the_same_in_passages_and_questions():
    from index.text.identifiers import identifiers_in

    text = "Under FAR 52.204-25. See M-23-13, EO 13873 and CVE-2023-0142 (in 2019)."
    assert identifiers_in(text) == {"204-25", "m-23-13", "13873", "cve-2023-0142"}


def test_an_abstention_names_vendors_not_agencies_read_off_the_text(retriever):
    """The text-derived entities include "Bureau" (it acts in the text like a company); the
    vendors a reader is pointed to are the ones whose names read as a company's."""
    assert "Bureau" in [retriever.vendors.name(k) for k in retriever.vendors.covered()]
    answer = retriever.ask("what is the capital of Australia?")
    assert not answer.results
    assert "Vendors covered include: Velloria, Zyn-Tek." in answer.message
    assert "Bureau" not in answer.message


def test_an_unknown_name_is_named_alone_not_with_the_words_around_it(retriever):
    answer = retriever.ask("is Zorbex ok to run on federal endpoints?")
    assert not answer.results
    assert answer.message.startswith("Nothing in the corpus about Zorbex.")


def test_a_short_company_name_in_capitals_is_a_vendor(retriever):
    """ "QTX" (written "QTX Corporation") is one word piece and three letters, like "GSA";
    the corpus shows it as a company, so alone it gets a brief and it keeps a question about
    its product from being abstained on."""
    assert retriever.ask("QTX").kind == "brief"
    assert retriever.ask("GSA").kind != "brief"


def test_an_unknown_product_of_a_covered_vendor_answers_about_the_vendor(retriever):
    question = "can we keep our QTX Strato phones?"
    plan = retriever.planner.plan(question)
    assert plan.products == {"Strato": "QTX"}
    answer = retriever.ask(question)
    assert _top_article(answer) == "qtx-denial"
    assert (
        "Nothing in the corpus about QTX Strato itself; showing what it says about QTX."
        in answer.notices
    )


def test_an_uncovered_vendor_beside_a_short_company_name_is_said_not_covered(retriever):
    answer = retriever.ask("is Zorbex banned like QTX?")
    assert _top_article(answer) == "qtx-denial"
    assert "Nothing in the corpus about Zorbex." in answer.notices


def test_a_name_written_as_two_words_is_read_as_the_name(retriever):
    """ "tik tok" for TikTok: neither half is a name, together they are one the corpus has."""
    answer = retriever.ask("is vel loria allowed on agency laptops?")
    assert "Read 'vel loria' as Velloria." in answer.notices
    assert _top_article(answer).startswith("velloria-")
    assert retriever.planner.plan("vel loria").bare


def test_a_term_of_art_written_as_the_corpus_writes_it_is_on_topic(retriever):
    """Below the evidence threshold (here: any question), a three-word phrase a passage
    contains word for word still answers, from the passages writing it; a phrase no passage
    writes, or a question with a word the corpus never uses, is abstained on."""
    strict = Retriever(
        retriever.index, retriever.embedder, retriever.params.with_values(min_evidence=0.99)
    )
    answer = strict.ask("which carriers applied to the clean sweep fund?")
    assert answer.results, answer.message
    assert all("clean sweep fund" in r.quote for r in answer.results)
    assert not strict.ask("which carriers applied to the network sweep fund?").results
    assert not strict.ask("which carriers applied to the clean sweep fund for pizza?").results


def test_a_hyphenated_name_is_one_name_and_names_inside_compounds_are_found(retriever):
    """ "D-Link" was read as its first letter, so "did the FTC sue D-Link?" met the evidence
    threshold as an unknown "sue D-Link"; "Huawei-made" and "non-Huawei" hold a name."""
    plan = retriever.planner.plan("did the regulator sue Zyn-Tek?")
    assert plan.names == [["zyn-tek"]] and not plan.missing
    assert _top_article(retriever.ask("did the regulator sue Zyn-Tek?")) == "zyntek-suit"
    for question in ("is Velloria-made software banned?", "are non-Velloria products ok?"):
        assert ["velloria"] in retriever.planner.plan(question).names, question
