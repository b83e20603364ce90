"""Evidence export (`vendorcheck ask --export FILE.md|.json|.csv`, index/search/evidence.py):
the question, time, index generation and model, and every quote with its source, offsets and
the sha256 of the article text, which an auditor can re-verify against the article."""

from __future__ import annotations

import csv
import hashlib
import json
from datetime import UTC, datetime

import pytest
from conftest import root_config, run_cli, seed_corpus

from index.engine import build, open_retriever
from index.search.evidence import write_export
from index.store.generations import ARTICLES, current_generation


@pytest.fixture(scope="module")
def config(tmp_path_factory, model_cache):
    root = tmp_path_factory.mktemp("export")
    config = root_config(root, seed_corpus(root), model_cache)
    build(config)
    return config


@pytest.fixture(scope="module")
def answer(config, embedder):
    return open_retriever(config, embedder).ask("why was Zentara banned?")


def indexed_texts(config) -> dict[str, str]:
    """What an auditor holds: the article texts of the index generation the export names."""
    path = current_generation(config.index_dir) / ARTICLES
    records = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    return {r["id"]: r["text"] for r in records}


def test_json_export_from_the_cli_lets_an_auditor_re_verify_every_quote(config, tmp_path):
    out = tmp_path / "evidence.json"
    done = run_cli(config, "ask", "why was Zentara banned?", "--export", str(out))
    assert done.returncode == 0, done.stderr
    assert f"evidence written to {out}" in done.stderr
    assert "Zentara" in done.stdout  # the answer is still printed
    record = json.loads(out.read_text(encoding="utf-8"))
    assert record["question"] == "why was Zentara banned?"
    assert datetime.fromisoformat(record["asked_at"]).tzinfo is not None
    assert record["index"]["generation"] == current_generation(config.index_dir).name
    assert record["index"]["model"]
    texts = indexed_texts(config)
    assert record["quotes"]
    for quote in record["quotes"]:
        text = texts[quote["source"]["article_id"]]
        assert hashlib.sha256(text.encode("utf-8")).hexdigest() == quote["article_sha256"]
        assert text[quote["start"] : quote["end"]] == quote["quote"]
        assert quote["source"]["url"] == "https://example.com/zentara"
        assert quote["source"]["publisher"] == "Example News"
        assert quote["source"]["published"] == "2020-11-05"
        assert quote["source"]["title"] == "Zentara modems banned by FCC"


def test_markdown_and_csv_exports_carry_the_same_evidence(answer, tmp_path):
    asked = datetime(2026, 12, 3, 12, 0, tzinfo=UTC)
    assert answer.results
    first = answer.results[0]
    md = write_export(answer, tmp_path / "e.md", asked).read_text(encoding="utf-8")
    assert "# vendorcheck evidence: why was Zentara banned?" in md
    assert "2026-12-03T12:00:00+00:00" in md
    assert f"`{answer.index['generation']}`" in md
    assert f"`{first.article.sha256}`" in md
    assert f"characters {first.start}-{first.end}" in md
    assert "<https://example.com/zentara>" in md

    rows = list(csv.DictReader(write_export(answer, tmp_path / "e.csv", asked).open()))
    assert len(rows) == len(answer.results)
    assert rows[0]["quote"] == first.quote
    assert rows[0]["article_sha256"] == first.article.sha256
    assert (int(rows[0]["start"]), int(rows[0]["end"])) == (first.start, first.end)
    assert rows[0]["index_generation"] == answer.index["generation"]


def test_bad_export_requests_are_one_line_and_write_nothing(config, tmp_path):
    for args in (
        ["zentara", "--export", str(tmp_path / "e.pdf")],
        ["--batch", "-", "--export", str(tmp_path / "e.json")],
        ["zentara", "--export", str(tmp_path / "missing-dir" / "e.json")],
    ):
        done = run_cli(config, "ask", *args, input="zentara\n")
        assert done.returncode == 1, args
        assert done.stderr.count("\n") == 1 and "Traceback" not in done.stderr, done.stderr
        assert done.stderr.startswith("vendorcheck: error:")
    assert list(tmp_path.iterdir()) == []
