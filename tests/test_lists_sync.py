"""`lists sync` against a real loopback HTTP server: update, 304, broken file, diff."""

from __future__ import annotations

import json
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path

import pytest

from index.config import EngineConfig
from index.lists import ScreeningIndex, load_snapshot, sync_lists

FIXTURES = Path(__file__).parent / "fixtures" / "lists"


class ListServer:
    """Serves `routes[path] = (body, content_type, etag)`, honouring If-None-Match."""

    def __init__(self) -> None:
        self.routes: dict[str, tuple[bytes, str, str]] = {}
        self.requests: list[tuple[str, dict[str, str], int]] = []
        server = self

        class Handler(BaseHTTPRequestHandler):
            def do_GET(self) -> None:
                body, content_type, etag = server.routes.get(self.path, (b"", "", ""))
                headers = {k.lower(): v for k, v in self.headers.items()}
                if not body:
                    status = 404
                elif headers.get("if-none-match") == etag:
                    status = 304
                else:
                    status = 200
                server.requests.append((self.path, headers, status))
                self.send_response(status)
                if status == 200:
                    self.send_header("Content-Type", content_type)
                    self.send_header("Content-Length", str(len(body)))
                    self.send_header("ETag", etag)
                    self.send_header("Last-Modified", "Tue, 01 Dec 2026 10:00:00 GMT")
                    self.end_headers()
                    self.wfile.write(body)
                else:
                    self.send_header("Content-Length", "0")
                    self.end_headers()

            def log_message(self, *args: object) -> None:
                pass

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(
            target=self.httpd.serve_forever, kwargs={"poll_interval": 0.05}, daemon=True
        )
        self.thread.start()

    def stop(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()


def point_lists_at(monkeypatch, srv: ListServer) -> ListServer:
    """Make `lists sync` fetch both sources from the loopback server `srv`."""
    monkeypatch.setenv("VENDORCHECK_ALLOW_PRIVATE_URLS", "1")
    monkeypatch.setenv("VENDORCHECK_LISTS_CSL_URL", f"{srv.url}/consolidated.json")
    monkeypatch.setenv("VENDORCHECK_LISTS_FCC_URL", f"{srv.url}/supplychain/coveredlist")
    return srv


@pytest.fixture
def server(monkeypatch):
    srv = point_lists_at(monkeypatch, ListServer())
    yield srv
    srv.stop()


@pytest.fixture
def config(tmp_path):
    return EngineConfig(corpus_dir=tmp_path / "corpus", data_dir=tmp_path / "data")


def serve_good(server: ListServer) -> None:
    server.routes["/consolidated.json"] = (
        (FIXTURES / "csl.json").read_bytes(),
        "application/json",
        '"csl-v1"',
    )
    server.routes["/supplychain/coveredlist"] = (
        (FIXTURES / "coveredlist.html").read_bytes(),
        "text/html; charset=utf-8",
        '"fcc-v1"',
    )


def snapshot_files(config: EngineConfig) -> dict[str, bytes]:
    directory = config.data_dir / "lists"
    return {p.name: p.read_bytes() for p in sorted(directory.iterdir()) if p.is_file()}


def test_sync_sequence_update_then_304_then_broken_file(server, config):
    bundled = load_snapshot(config)
    assert bundled.sources["csl"].origin == "bundled"

    serve_good(server)
    report = sync_lists(config)
    assert [(s.source, s.status) for s in report.sources] == [
        ("csl", "updated"),
        ("fcc", "updated"),
    ]
    assert report.ok
    snapshot = load_snapshot(config)
    assert snapshot.sources["csl"].origin == "synced"
    assert snapshot.sources["csl"].etag == '"csl-v1"'
    assert snapshot.sources["fcc"].entries == 5
    assert snapshot.sources["statutory"].origin == "bundled"
    assert len(snapshot.entries_of("csl")) == 4  # the served file replaced the bundled sample
    matches = ScreeningIndex(snapshot).screen("Hikvision")
    assert "csl:Entity List (EL) - Bureau of Industry and Security" in {
        m.entry.list_id for m in matches
    }
    added = {c.name for c in report.sources[0].added}
    assert "Acme Data Systems Ltd." in added and "7TH OF TIR" in {
        c.name for c in report.sources[0].removed
    }
    files_after_update = snapshot_files(config)

    report = sync_lists(config)
    assert [s.status for s in report.sources] == ["not-modified", "not-modified"]
    assert server.requests[-2][1]["if-none-match"] == '"csl-v1"'
    assert server.requests[-2][1]["if-modified-since"] == "Tue, 01 Dec 2026 10:00:00 GMT"
    assert [r[2] for r in server.requests[-2:]] == [304, 304]
    assert snapshot_files(config) == files_after_update

    server.routes["/consolidated.json"] = (
        b'{"results": [{"name": "trunc',
        "application/json",
        '"v2"',
    )
    server.routes["/supplychain/coveredlist"] = (b"<html><p>moved</p></html>", "text/html", '"f2"')
    report = sync_lists(config)
    assert [s.status for s in report.sources] == ["failed", "failed"]
    assert not report.ok
    for result in report.sources:
        assert "\n" not in result.line() and "kept the previous snapshot" in result.line()
    assert "not valid JSON" in report.sources[0].error
    assert snapshot_files(config) == files_after_update
    assert len(load_snapshot(config).entries_of("csl")) == 4


def test_a_failed_source_does_not_block_the_other(server, config):
    serve_good(server)
    del server.routes["/consolidated.json"]  # 404
    report = sync_lists(config)
    statuses = {s.source: s for s in report.sources}
    assert statuses["csl"].status == "failed" and "HTTP 404" in statuses["csl"].error
    assert statuses["fcc"].status == "updated"
    snapshot = load_snapshot(config)
    assert snapshot.sources["csl"].origin == "bundled"  # still the bundled sample
    assert snapshot.sources["fcc"].origin == "synced"


def test_an_empty_list_is_a_failure(server, config):
    serve_good(server)
    server.routes["/consolidated.json"] = (b'{"results": []}', "application/json", '"e"')
    report = sync_lists(config, only=["csl"])
    assert report.sources[0].status == "failed" and "no entries" in report.sources[0].error
    assert not (config.data_dir / "lists" / "manifest.json").exists()


def test_private_addresses_are_refused_without_the_opt_in(server, config, monkeypatch):
    serve_good(server)
    monkeypatch.delenv("VENDORCHECK_ALLOW_PRIVATE_URLS")
    report = sync_lists(config)
    assert all(s.status == "failed" and "private" in s.error for s in report.sources)
    assert server.requests == []


def test_report_json_shape(server, config):
    serve_good(server)
    data = sync_lists(config).to_json()
    json.dumps(data)
    assert data["ok"] and data["sources"][0]["added"][0].keys() >= {"list_id", "name", "key"}
    acme = next(c for c in data["sources"][0]["added"] if c["name"] == "Acme Data Systems Ltd.")
    assert acme["since"] == "2020-01-02" and acme["citation"] == "85 FR 00000"
    assert acme["link"].startswith("https://www.bis.doc.gov/")


def test_changes_carry_their_entry_and_the_copy_they_were_diffed_against(server, config):
    serve_good(server)
    first = sync_lists(config)
    assert [s.baseline for s in first.sources] == ["bundled", "bundled"]  # the bundled sample
    removed = next(c for c in first.sources[0].removed if c.name == "7TH OF TIR")
    assert removed.entry is not None and removed.entry.name == "7TH OF TIR"  # from the old copy
    body = json.loads((FIXTURES / "csl.json").read_text(encoding="utf-8"))
    body["results"] = body["results"][1:]  # Hikvision's company is delisted
    server.routes["/consolidated.json"] = (json.dumps(body).encode(), "application/json", '"v2"')
    second = sync_lists(config, only=["csl"])
    [result] = second.sources
    assert result.baseline == "synced" and result.added == []
    [gone] = result.removed
    assert gone.entry is not None and gone.entry.start_date == "2019-10-09"
    assert gone.entry.citation == "84 FR 54002" and "Hikvision" in gone.entry.alt_names
