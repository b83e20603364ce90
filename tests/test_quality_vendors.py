"""Vendor names without the model: normalisation, extraction from plain articles, alias file."""

from __future__ import annotations

from datetime import date

import numpy as np
import pytest

from index.articles import Article
from index.vendors.aliases import AliasFileError, read_alias_file
from index.vendors.names import key_of
from index.vendors.registry import VendorIndex


@pytest.mark.parametrize(
    ("name", "key"),
    [
        ("Kaspersky", "kaspersky"),
        ("Kaspersky Lab", "kaspersky"),
        ("AO Kaspersky Lab", "kaspersky"),
        ("Kaspersky's", "kaspersky"),
        ("KASPERSKY LAB, INC.", "kaspersky"),
        ("Check Point Software Technologies Ltd.", "check point"),
        ("Zentara Telecom Corporation", "zentara"),
        ("Security Systems", "security systems"),  # nothing but corporate words: kept
        ("Huawei Technologies Co., Ltd.", "huawei"),
        ("The Boeing Company", "boeing"),
        # a generic word that leads is part of the name: never "data" or "mahindra"
        ("Tech Data Corporation", "tech data"),
        ("Tech Mahindra", "tech mahindra"),
        # what is left must not be a place: never the city, nor the country
        ("Palo Alto Networks", "palo alto networks"),
        ("China Telecom", "china telecom"),
    ],
)
def test_corporate_forms_possessives_and_case_reduce_to_one_key(name, key):
    assert key_of(name) == key


COLLIDING = {
    "Tech Data": ["Tech Data Corporation"],
    "Palo Alto Networks": ["PANW"],
    "Tech Mahindra": [],
    "Mahindra Group": ["Mahindra & Mahindra"],
}


@pytest.fixture(scope="module")
def colliding() -> VendorIndex:
    articles = [
        _article(
            "t1",
            "Tech Data Wins Federal Reseller Contract",
            "Tech Data said it will resell cloud services to agencies.",
            "2023-01-02",
            vendors=("Tech Data",),
        ),
        _article(
            "p1",
            "Palo Alto Networks Firewalls Added To Schedule",
            "Palo Alto Networks said its firewalls are now on the schedule. The company is "
            "based in Santa Clara, not Palo Alto, since 2017.",
            "2023-02-03",
            vendors=("Palo Alto Networks",),
        ),
        _article(
            "m1",
            "Tech Mahindra And Mahindra Group Report Results",
            "Tech Mahindra said revenue grew. Mahindra Group said tractor sales fell.",
            "2023-03-04",
            vendors=("Tech Mahindra", "Mahindra Group"),
        ),
    ]
    return _index(articles, COLLIDING)


def test_a_generic_word_in_a_question_is_not_tech_data(colliding):
    """ "Tech Data" used to be keyed "data": every question with "data" named it."""
    assert colliding.match("what data does the FCC collect on routers?").covered == []
    assert colliding.match("is Tech Data allowed on GSA?").covered == ["tech data"]
    assert colliding.match("Tech Data Corporation").covered == ["tech data"]


def test_the_city_is_not_palo_alto_networks(colliding):
    assert colliding.match("what's the weather in Palo Alto?").covered == []
    assert colliding.match("is Palo Alto Networks allowed?").covered == ["palo alto networks"]
    assert colliding.match("PANW firewalls").covered == ["palo alto networks"]


def test_tech_mahindra_and_mahindra_stay_two_vendors(colliding):
    assert colliding.match("Tech Mahindra").covered == ["tech mahindra"]
    assert colliding.match("Mahindra").covered == ["mahindra"]
    assert colliding.match("Mahindra & Mahindra tractors").covered == ["mahindra"]
    assert colliding.name("tech mahindra") == "Tech Mahindra"
    assert colliding.name("mahindra") == "Mahindra Group"


def _article(aid: str, title: str, text: str, published: str, vendors=()) -> Article:
    return Article(aid, title, text, published=date.fromisoformat(published), vendors=vendors)


def _index(articles, aliases=None) -> VendorIndex:
    rows = []
    for i, a in enumerate(articles):
        start = 0
        for para in a.text.split("\n\n"):
            begin = a.text.index(para, start)
            rows.append((i, begin, begin + len(para)))
            start = begin + len(para)
    return VendorIndex.build_in_memory(articles, np.asarray(rows, dtype=np.int32), aliases)


ARTICLES = [
    _article(
        "a1",
        "Marlow Dynamics Fined Over Export Violations",
        "Marlow Dynamics was fined on Monday for shipping drones to a sanctioned buyer. "
        "Regulators said Marlow had ignored warnings.\n\n"
        "Marlow said it would appeal. Rival Tessaly also makes drones but was not named.",
        "2024-03-01",
    ),
    _article(
        "a2",
        "Marlow Dynamics Wins Appeal",
        "A court overturned the fine against Marlow Dynamics. Marlow's lawyers said the ruling "
        "vindicated the company. The court cited the Export Control Reform Act.",
        "2024-09-01",
    ),
]


def test_plain_articles_yield_their_subject_and_names_in_passing():
    vendors = _index(ARTICLES)
    assert vendors.covered() == ["marlow dynamics"]
    assert vendors.name("marlow dynamics") == "Marlow Dynamics"
    assert vendors.about == [["marlow dynamics"], ["marlow dynamics"]]
    tessaly = vendors.match("is Tessaly allowed?")
    assert tessaly.covered == [] and tessaly.passing == ["tessaly"]
    assert vendors.mention_rows("tessaly").tolist() == [1]  # the passage that names it
    assert vendors.match("Marlow's drones").covered == ["marlow dynamics"]
    assert vendors.match("marlo dynamics inc").covered == ["marlow dynamics"]


def test_misspellings_only_match_vendors_not_ordinary_words():
    vendors = _index(ARTICLES)
    found = vendors.match("did marlowe appeal", known_word=lambda w: w in {"appeal", "did"})
    assert found.covered == ["marlow dynamics"] and found.fuzzy == {"marlowe": "marlow dynamics"}
    assert vendors.match("drones fined", known_word=lambda w: True).covered == []


def test_alias_file_adds_acronyms_and_front_matter_is_authoritative(tmp_path):
    (tmp_path / "vendors.yml").write_text("Marlow Dynamics:\n  aliases: [MDX, Marlow Drones]\n")
    aliases = read_alias_file(tmp_path)
    articles = [*ARTICLES, _article("a3", "Drone Roundup", "Marlow and Tessaly ship.", "2024-10-01",
                                    vendors=("Tessaly",))]  # fmt: skip
    vendors = _index(articles, aliases)
    assert vendors.match("MDX export fine").covered == ["marlow dynamics"]
    assert vendors.about[2] == ["tessaly"] and vendors.is_covered("tessaly")


def test_broken_alias_file_is_a_one_line_error(tmp_path):
    (tmp_path / "vendors.yml").write_text("Marlow: [unclosed\n")
    with pytest.raises(AliasFileError) as err:
        read_alias_file(tmp_path)
    assert "vendors.yml" in str(err.value) and "\n" not in str(err.value)
    (tmp_path / "vendors.yml").write_text("- just a string\n- another\n")
    assert read_alias_file(tmp_path) == {}
    (tmp_path / "vendors.yml").write_text("Marlow: 3\n")
    with pytest.raises(AliasFileError):
        read_alias_file(tmp_path)


def test_a_vendor_the_headline_does_not_name_is_found_when_it_dominates_the_body():
    article = _article(
        "h1",
        "Russian Antivirus Firm Barred From Federal Networks",
        "Agencies must remove software made by Grevlin within 90 days. Officials said Grevlin "
        "could be compelled to help foreign intelligence.\n\nGrevlin denied the claims and said "
        "Grevlin products are audited. A spokesperson for Tarsk, a rival, declined to comment.",
        "2024-02-02",
    )
    vendors = _index([article])
    assert vendors.about == [["grevlin"]]
    assert vendors.match("tarsk").passing == ["tarsk"]
