"""Parsing each list format: CSL JSON and both CSV layouts, the FCC page and CSV, statute YAML."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.lists import csl, fcc, statutory
from index.lists.common import ListDataError, iso_date, split_list

FIXTURES = Path(__file__).parent / "fixtures" / "lists"
BUNDLE = Path(__file__).resolve().parent.parent / "corpus" / "lists"


def test_csl_json_fields_alt_names_as_list_or_joined_string():
    entries = csl.parse((FIXTURES / "csl.json").read_bytes())
    assert len(entries) == 4
    hik = entries[0]
    assert hik.list_id == "csl:Entity List (EL) - Bureau of Industry and Security"
    assert hik.name == "Hangzhou Hikvision Digital Technology Co., Ltd."
    assert hik.alt_names == ("Hikvision",)
    assert hik.citation == "84 FR 54002"
    assert hik.start_date == "2019-10-09"
    assert hik.country == "CN"
    assert "Hangzhou" in hik.addresses[0]
    assert hik.scope.startswith("License requirement: For all items subject to the EAR")
    gpb = entries[1]
    assert gpb.alt_names == ("GPB, OAO", "GAZPROMBANK OPEN JOINT STOCK COMPANY", "GAZPROMBANK OJSC")
    assert gpb.programs == ("UKRAINE-EO13662", "RUSSIA-EO14024")
    assert gpb.start_date is None and gpb.entity_type == "Entity"


def test_csl_csv_older_layout_is_the_bundled_watchman_sample():
    entries = csl.parse((BUNDLE / "csl.csv").read_bytes())
    assert len(entries) == 115
    by_name = {e.name: e for e in entries}
    tir = by_name["7TH OF TIR"]
    assert "SEVENTH OF TIR" in tir.alt_names and tir.programs == ("IFSR", "NPWMD")
    assert by_name["32 Group China Ltd."].citation == "80 FR 69852"
    assert by_name["ADRIAN MANUEL HERNANDEZ"].end_date == "2020-10-13"


def test_csl_csv_current_layout_with_leading_id_column():
    entries = csl.parse((FIXTURES / "csl_current.csv").read_bytes())
    assert [e.name for e in entries] == [
        "Guian New District Huawei Investment Co., Ltd., Guiyang, Guizhou",
        "2904977 CANADA, INC.",
    ]
    assert entries[1].alt_names == ("CARIBE SOL", "HAVANTUR CANADA INC.")
    assert entries[1].country == "CA"


@pytest.mark.parametrize(
    "body",
    [b'{"results": [', b'{"items": []}', b'{"results": []}', b'{"results": [{"name": ""}]}'],
)
def test_broken_or_empty_csl_json_is_refused(body):
    with pytest.raises(ListDataError):
        csl.parse(body)


def test_csl_csv_without_its_columns_is_refused():
    with pytest.raises(ListDataError):
        csl.parse(b"foo,bar\n1,2\n")


def test_fcc_html_table_names_companies_and_keeps_the_sentence_as_scope():
    entries = fcc.parse((FIXTURES / "coveredlist.html").read_bytes(), "text/html")
    names = [e.name for e in entries]
    assert names == [
        "Huawei Technologies Company",
        "ZTE Corporation",
        "AO Kaspersky Lab",
        "Pacific Networks Corp",
        "ComNet (USA) LLC",
    ]
    kaspersky = entries[2]
    assert kaspersky.start_date == "2022-03-25"  # the footnote marker is ignored
    assert kaspersky.scope.startswith("Information security products, solutions, and services")
    assert kaspersky.source_list_url == "https://www.fcc.gov/supplychain/coveredlist"
    assert entries[4].scope == entries[3].scope  # a subsidiary named in the same row


def test_fcc_bundled_csv_copy():
    entries = fcc.parse((BUNDLE / "fcc-covered-list.csv").read_bytes(), "text/csv")
    dates = {e.name: e.start_date for e in entries}
    assert dates["Huawei Technologies Company"] == "2021-03-12"
    assert dates["Hangzhou Hikvision Digital Technology Company"] == "2021-03-12"
    assert dates["AO Kaspersky Lab"] == "2022-03-25"
    assert dates["Kaspersky Lab, Inc."] == "2024-07-23"
    assert dates["China Telecom (Americas) Corp."] == "2022-03-25"
    hytera = next(e for e in entries if e.name == "Hytera Communications Corporation")
    assert "to the extent it is used for the purpose of public safety" in hytera.scope


def test_fcc_page_without_the_table_is_refused():
    with pytest.raises(ListDataError, match="no table"):
        fcc.parse(b"<html><body><table><tr><td>x</td></tr></table></body></html>")


def test_company_names_in_covered_list_sentences():
    assert fcc.company_names(
        "Cybersecurity and anti-virus software produced or provided by Kaspersky Lab, Inc. or any "
        "of its successors and assignees."
    ) == ["Kaspersky Lab, Inc."]
    assert fcc.company_names(
        "Telecommunications services provided by China Telecom (Americas) Corp. subject to "
        "section 214 of the Communications Act of 1934."
    ) == ["China Telecom (Americas) Corp."]


def test_statutory_lists_carry_citations_and_dates():
    entries = statutory.parse((BUNDLE / "statutory.yml").read_bytes())
    by_list = {}
    for e in entries:
        by_list.setdefault(e.list_id, []).append(e)
    assert {e.name for e in by_list["ndaa-889"]} == {
        "Huawei Technologies Company",
        "ZTE Corporation",
        "Hytera Communications Corporation",
        "Hangzhou Hikvision Digital Technology Company",
        "Dahua Technology Company",
    }
    sec889 = by_list["ndaa-889"][0]
    assert sec889.start_date == "2019-08-13" and "2020-08-13" in sec889.scope
    assert "Pub. L. 115-232" in sec889.citation and "52.204-25" in sec889.citation
    assert by_list["ndaa-1634"][0].start_date == "2018-10-01"
    assert "52.204-23" in by_list["ndaa-1634"][0].citation
    assert by_list["dhs-bod-17-01"][0].start_date == "2017-09-13"
    assert "82 FR 43782" in by_list["dhs-bod-17-01"][0].citation
    icts = by_list["icts-kaspersky"][0]
    assert "89 FR 52434" in icts.citation and icts.start_date == "2024-07-20"
    assert "2024-09-29" in icts.scope
    assert all(e.source_list_url.startswith("https://") for e in entries)


def test_statutory_yaml_without_a_citation_is_refused():
    with pytest.raises(ListDataError, match="citation"):
        statutory.parse(b"lists:\n  - id: x\n    name: X\n    start_date: 2020-01-01\n")


def test_dates_and_multi_value_fields():
    assert iso_date("March 12, 2021") == "2021-03-12"
    assert iso_date("2019-05-21T00:00:00") == "2019-05-21"
    assert iso_date("") is None and iso_date("soon") is None
    assert split_list("A; B;  ; A") == ("A", "B")
    assert split_list(["A", " B "]) == ("A", "B")
