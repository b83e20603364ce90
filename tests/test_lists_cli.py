"""`vendorcheck lists ...` through the real CLI entry point (main(argv)), with exit codes."""

from __future__ import annotations

import json

import pytest
from test_lists_sync import ListServer, serve_good

import bot.cli


@pytest.fixture(autouse=True)
def isolated(monkeypatch, tmp_path):
    """Isolate the data directory (the `lists` commands are in the CLI's registry)."""
    monkeypatch.setenv("VENDORCHECK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("VENDORCHECK_CORPUS_DIR", str(tmp_path / "corpus"))


def run(capsys, *argv: str) -> tuple[int, str, str]:
    code = bot.cli.main(list(argv))
    out, err = capsys.readouterr()
    return code, out, err


def test_check_one_name_text_and_json(capsys):
    code, out, _ = run(capsys, "lists", "check", "huawei")
    assert code == 0
    assert "2021-03-12  FCC Covered List" in out and "NDAA FY2019 sec. 889" in out
    code, out, _ = run(capsys, "lists", "check", "Acme", "Widgets", "--json")
    data = json.loads(out)
    assert code == 0 and data["listed"] is False
    assert data["message"] == "Acme Widgets: not on any list we track (as of 2026-12-03)"


def test_check_file_uses_the_name_column_and_prints_a_table(capsys, tmp_path):
    register = tmp_path / "vendors.csv"
    register.write_text(
        'id,name,country\n1,"Hangzhou Hikvision Digital Technology Co., Ltd.",CN\n'
        "2,Microsoft Corporation,US\n3,Aztec Group,UK\n",
        encoding="utf-8",
    )
    code, out, _ = run(capsys, "lists", "check", "--file", str(register))
    assert code == 0
    rows = out.splitlines()
    assert rows[0].split()[:2] == ["vendor", "status"]
    assert any("Hangzhou Hikvision" in r and "LISTED" in r for r in rows)
    assert any(r.startswith("Aztec Group") and "clear" in r for r in rows)
    assert "1 of 3 names on a list we track" in out


def test_check_file_first_column_without_header(capsys, tmp_path):
    register = tmp_path / "plain.csv"
    register.write_text("ZTE Corporation,CN\nSiemens AG,DE\n", encoding="utf-8")
    code, out, _ = run(capsys, "lists", "check", "--file", str(register), "--json")
    lines = [json.loads(line) for line in out.splitlines()]
    assert code == 0 and [d["listed"] for d in lines] == [True, False]


@pytest.mark.parametrize(
    "argv, message",
    [
        (["lists", "check"], "give a vendor name or --file"),
        (["lists", "check", "--file", "/nonexistent/vendors.csv"], "cannot read"),
    ],
)
def test_user_mistakes_are_one_line_errors(capsys, argv, message):
    code, _out, err = run(capsys, *argv)
    assert code == 1 and message in err
    assert len(err.strip().splitlines()) == 1 and "Traceback" not in err


def test_bad_threshold_is_a_usage_error(capsys):
    with pytest.raises(SystemExit) as exc:
        bot.cli.main(["lists", "check", "zte", "--threshold", "2"])
    assert exc.value.code == 2


def test_show_lists_sources_dates_and_counts(capsys):
    code, out, _ = run(capsys, "lists", "show")
    assert code == 0 and "retrieved 2026-12-03  (bundled)" in out
    assert "moov-io/watchman" in out
    code, out, _ = run(capsys, "lists", "show", "--json")
    data = json.loads(out)
    assert {s["source"] for s in data["sources"]} == {"csl", "fcc", "statutory"}


def test_sync_exit_codes(capsys, monkeypatch):
    server = ListServer()
    try:
        monkeypatch.setenv("VENDORCHECK_ALLOW_PRIVATE_URLS", "1")
        monkeypatch.setenv("VENDORCHECK_LISTS_CSL_URL", f"{server.url}/consolidated.json")
        monkeypatch.setenv("VENDORCHECK_LISTS_FCC_URL", f"{server.url}/supplychain/coveredlist")
        serve_good(server)
        code, out, err = run(capsys, "lists", "sync")
        assert code == 0 and "csl: updated, 4 entries" in out
        code, out, _ = run(capsys, "lists", "sync", "--json")
        assert code == 0 and {s["status"] for s in json.loads(out)["sources"]} == {"not-modified"}
        server.routes["/consolidated.json"] = (b"not a list", "text/csv", '"x"')
        code, out, err = run(capsys, "lists", "sync", "--source", "csl")
        assert code == 1
        assert err.strip().startswith("csl: failed, kept the previous snapshot:")
        assert len(err.strip().splitlines()) == 1
    finally:
        server.stop()
