from pathlib import Path

from index.ingest.loaders import load_corpus


def test_every_format_is_read_with_its_metadata(fixture_corpus: Path):
    loaded = load_corpus(fixture_corpus)
    by_id = {a.id: a for a in loaded.articles}
    assert set(by_id) == {
        "quillon-2021-03-02-dhs-directive",
        "quillon-2022-06-15-gsa-removal",
        "norvel-2023-01-10-router-flaw",
        "zentara-2020-11-05-fcc-ban",
        "brightpath-2024-04-20-camera-ban",
        "norvel-2023-02-01-patch-adoption",
        "orbix-2019-08-12-acquisition",
    }
    md = by_id["quillon-2021-03-02-dhs-directive"]
    assert (md.publisher, md.published_iso, md.author) == (
        "Federal Wire",
        "2021-03-02",
        "Dana Whitfield",
    )
    assert md.text.startswith("The Department of Homeland Security")
    txt = by_id["zentara-2020-11-05-fcc-ban"]
    assert txt.title.startswith("FCC Adds Zentara Telecom")
    assert (txt.publisher, txt.published_iso) == ("Telecom Ledger", "2020-11-05")
    assert txt.url == "https://telecom.example.com/fcc-zentara-covered-list"
    html = by_id["brightpath-2024-04-20-camera-ban"]
    assert html.title == "Brightpath Cameras Banned From Federal Buildings Under Section 889"
    assert html.publisher == "Gov Security Journal"
    assert html.published_iso == "2024-04-20"
    assert "Section 889 prohibits agencies" in html.text
    assert "Subscribe to our newsletter" not in html.text  # boilerplate dropped
    bulk = by_id["orbix-2019-08-12-acquisition"]
    assert bulk.vendors == ("Orbix",) and bulk.publisher == "Net Wire"


def test_broken_files_are_reported_by_name_with_a_reason(fixture_corpus: Path):
    skipped = dict(load_corpus(fixture_corpus).skipped)
    assert "bad front matter" in skipped["broken-front-matter.md"]
    assert "UTF-8" in skipped["broken-bytes.txt"]
    assert skipped["broken-empty.md"] == "empty body"
    assert skipped["bulk-wire.jsonl:3"] == "empty body"
    assert all("\n" not in reason for reason in skipped.values())
