"""The official-list status block in answers: CLI text, --json and Slack blocks.

From a clone with no network, the bundled snapshot (corpus/lists/) answers the list half; the
bundled seed article answers the quote half.
"""

from __future__ import annotations

import json
import shutil
from pathlib import Path

from conftest import run_cli
from slack_sdk.models.blocks import Block

from bot.slack.render import render_answer
from index.search.results import Answer

REPO = Path(__file__).resolve().parent.parent


def seed_config(tmp_path: Path, config_for):  # type: ignore[no-untyped-def]
    corpus = tmp_path / "corpus"
    shutil.copytree(REPO / "corpus", corpus, ignore=shutil.ignore_patterns("lists"))
    config = config_for(corpus)
    assert run_cli(config, "index").returncode == 0
    return config


def test_huawei_answer_carries_the_fcc_entry_and_section_889_with_citations(tmp_path, config_for):
    config = seed_config(tmp_path, config_for)
    result = run_cli(config, "ask", "is huawei allowed?", "--json")
    assert result.returncode == 0, result.stderr
    data = json.loads(result.stdout)
    # The seed corpus has no Huawei article: the quotes abstain, the lists still speak.
    assert data["kind"] == "none" and data["results"] == []
    [status] = data["status"]
    assert status["listed"] and status["as_of"]
    hits = {h["list_name"]: h for h in status["lists"]}
    fcc = hits["FCC Covered List"]
    assert fcc["since"] == "2021-03-12" and "47 U.S.C. 1601" in fcc["citation"]
    assert fcc["link"].startswith("https://www.fcc.gov/")
    sec889 = next(h for name, h in hits.items() if "889" in name)
    assert sec889["since"] == "2019-08-13" and "52.204-25" in sec889["citation"]
    assert sec889["link"].startswith("https://")


def test_kaspersky_answer_shows_the_seed_quote_under_the_list_status(tmp_path, config_for):
    config = seed_config(tmp_path, config_for)
    result = run_cli(config, "ask", "is kaspersky allowed on GSA?")
    assert result.returncode == 0, result.stderr
    text = result.stdout
    status, quotes = text.split("\n1. ", 1)
    assert "2022-03-25  FCC Covered List" in status
    assert "NDAA FY2018 sec. 1634" in status and "ICTS" in status and "89 FR 52434" in status
    assert "considering removing Kaspersky from the GSA" in " ".join(quotes.split())


def test_a_vendor_on_no_list_says_so_with_the_date_and_places_are_not_screened(
    tmp_path, config_for
):
    config = seed_config(tmp_path, config_for)
    data = json.loads(run_cli(config, "ask", "--json", "is Sophos banned like Kaspersky?").stdout)
    by_vendor = {s["vendor"]: s for s in data["status"]}
    assert by_vendor["Sophos"]["listed"] is False
    assert by_vendor["Sophos"]["message"].startswith("Sophos: not on any list we track (as of ")
    assert by_vendor["Kaspersky"]["listed"] is True
    assert any("Nothing in the corpus about Sophos" in n for n in data["notices"])
    plain = json.loads(run_cli(config, "ask", "--json", "what happened in Moscow?").stdout)
    assert plain["status"] == []  # a place is never reported "not on any list"


def test_slack_status_block_is_escaped_and_valid_block_kit():
    hostile = "<!channel> Evil & Co <https://evil.example|click>"
    answer = Answer(
        query="evil",
        kind="none",
        message="Nothing in the corpus about evil.",
        status=[
            {
                "vendor": hostile,
                "listed": True,
                "as_of": "2026-12-03",
                "message": "",
                "lists": [
                    {
                        "list_name": "FCC Covered List",
                        "since": "2021-03-12",
                        "citation": "47 U.S.C. 1601 <@U123>",
                        "link": "https://www.fcc.gov/supplychain/coveredlist",
                        "how": "fuzzy",
                        "matched_name": "Evil <b>",
                        "confidence": 0.9,
                    }
                ],
            }
        ],
    )
    message = render_answer(answer, answer_id="a1")
    for block in message["blocks"]:
        assert Block.parse(block) is not None
    text = json.dumps(message["blocks"])
    assert "FCC Covered List" in text and "since 2021-03-12" in text and "90%" in text
    assert "<!channel>" not in text and "<@U123>" not in text and "<https://evil" not in text
    assert "&amp;" in text and "<https://www.fcc.gov/supplychain/coveredlist|source>" in text
