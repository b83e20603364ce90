"""Name screening and vendor status on the bundled snapshot (no network)."""

from __future__ import annotations

from pathlib import Path

import pytest

from index.config import EngineConfig
from index.lists import ScreeningIndex, load_snapshot, vendor_status
from index.lists import csl as csl_parser

FIXTURES = Path(__file__).parent / "fixtures" / "lists"


@pytest.fixture(scope="module")
def snapshot(tmp_path_factory):
    root = tmp_path_factory.mktemp("lists")
    return load_snapshot(EngineConfig(corpus_dir=root / "corpus", data_dir=root / "data"))


@pytest.fixture(scope="module")
def index(snapshot):
    return ScreeningIndex(snapshot)


def lists_of(matches):
    return {m.entry.list_id for m in matches}


def test_bundled_snapshot_answers_huawei(snapshot):
    [status] = vendor_status(snapshot, ["huawei"])
    by_list = {h.list_id: h for h in status.hits}
    assert by_list["fcc-covered"].since == "2021-03-12"
    assert by_list["fcc-covered"].link == "https://www.fcc.gov/supplychain/coveredlist"
    assert by_list["ndaa-889"].since == "2019-08-13"
    assert "Pub. L. 115-232" in by_list["ndaa-889"].citation
    assert [h.since for h in status.hits] == sorted(h.since for h in status.hits)
    data = status.to_json()
    assert data["listed"] and data["as_of"] == "2026-12-03"


def test_bundled_snapshot_answers_kaspersky(snapshot):
    [status] = vendor_status(snapshot, ["kaspersky"])
    since = {(h.list_id, h.since) for h in status.hits}
    assert ("fcc-covered", "2022-03-25") in since
    assert ("ndaa-1634", "2018-10-01") in since
    assert ("icts-kaspersky", "2024-07-20") in since
    icts = next(h for h in status.hits if h.list_id == "icts-kaspersky")
    assert "89 FR 52434" in icts.citation


def test_unlisted_vendor_says_so_with_the_date(snapshot):
    [status] = vendor_status(snapshot, ["Microsoft Corporation"])
    assert not status.hits
    assert status.message == "Microsoft Corporation: not on any list we track (as of 2026-12-03)"
    assert status.to_json()["lists"] == []


def test_hikvision_legal_name_matches_the_listed_company(index):
    matches = index.screen("Hangzhou Hikvision Digital Technology Co., Ltd.")
    assert {"fcc-covered", "ndaa-889"} <= lists_of(matches)
    assert all(m.confidence == 1.0 and m.how == "exact" for m in matches)
    short = index.screen("Hikvision")
    assert {"fcc-covered", "ndaa-889"} <= lists_of(short)


def test_kaspersky_variants(index):
    for variant in ("Kaspersky", "AO Kaspersky Lab", "Kaspersky Lab, Inc.", "KASPERSKY LABS"):
        assert {"fcc-covered", "ndaa-1634", "icts-kaspersky", "dhs-bod-17-01"} <= lists_of(
            index.screen(variant)
        ), variant


def test_zte_does_not_match_aztec_and_aztec_does_not_match_zte(index):
    assert "ndaa-889" in lists_of(index.screen("ZTE"))
    assert index.screen("Aztec") == []
    assert index.screen("Aztec Group plc") == []


def test_tech_data_does_not_match_every_name_with_data():
    entries = csl_parser.parse((FIXTURES / "csl.json").read_bytes())
    index = ScreeningIndex(entries)
    assert index.screen("Tech Data Corporation") == []
    assert [m.entry.name for m in index.screen("Acme Data Systems")] == ["Acme Data Systems Ltd."]
    assert [m.entry.name for m in index.screen("ZTE")] == []  # not "Aztec Trading Company"


def test_a_typo_matches_with_lower_confidence(index):
    exact = index.screen("Hikvision")[0]
    typo = index.screen("Hikvison")
    assert typo and typo[0].entry.list_id == exact.entry.list_id
    assert typo[0].how == "fuzzy" and 0.75 <= typo[0].confidence < exact.confidence
    assert index.screen("Kasperski Lab")[0].confidence < 1.0


def test_alt_names_and_name_order(index):
    [match] = [m for m in index.screen("Seventh of Tir") if m.entry.name == "7TH OF TIR"]
    assert match.how == "alias" and match.matched_name == "SEVENTH OF TIR"
    person = index.screen("Khaled Abu Hassan")
    assert person[0].entry.name == "ABU HASSAN, Khaled" and person[0].confidence == 1.0


def test_match_json_shape(index):
    data = index.screen("ZTE Corporation")[0].to_json()
    assert {"query", "matched_name", "confidence", "how", "entry"} <= set(data)
    assert data["entry"]["citation"]


def test_empty_and_punctuation_only_queries(index):
    assert index.screen("") == [] and index.screen(" ,.; ") == []
