"""Watchlist alerts for official-list changes: `vendorcheck lists sync` against the loopback list
server (tests/test_lists_sync.py), posting to the Slack Web API stand-in (tests/slack_fakes.py)
over real HTTP. A channel watching a vendor hears, once, that a sync added it to a list or
removed it from one; a vendor that merely shares letters with a listed name hears nothing."""

from __future__ import annotations

import copy
import json

import pytest
from slack_fakes import BOT_TOKEN, all_text
from test_lists_sync import FIXTURES, ListServer, point_lists_at

import bot.cli
from index.config import EngineConfig
from index.lists import load_snapshot, sync_lists
from index.watch.list_changes import changes_of, match_changes
from index.watch.watchlist import Watchlist

ENTITY_LIST = "Entity List (EL) - Bureau of Industry and Security"
BIS = "https://www.bis.doc.gov/index.php/policy-guidance/lists-of-parties-of-concern/entity-list"
CSL = json.loads((FIXTURES / "csl.json").read_text(encoding="utf-8"))


def _entity(name: str, notice: str, start: str, **extra) -> dict:
    return {
        "source": ENTITY_LIST,
        "name": name,
        "federal_register_notice": notice,
        "start_date": start,
        "source_list_url": BIS,
        "source_information_url": BIS,
        **extra,
    }


HIKVISION = _entity(  # no alt_names: "Hikvision" has to be matched through normalisation
    "Hangzhou Hikvision Digital Technology Co., Ltd.", "84 FR 54002", "2019-10-09"
)
ZTE = _entity("ZTE Corporation", "81 FR 12004", "2016-03-08")
HOSTILE = _entity(
    "Velkor <!channel> Systems & Partners",
    "<@U999> 85 FR 1 <http://evil.example|click>",
    "2024-09-12",
    alt_names=["Velkor"],
)


def csl_version(*extra: dict) -> bytes:
    """The fixture CSL without its Hikvision row, plus `extra` rows."""
    data = copy.deepcopy(CSL)
    data["results"] = [r for r in data["results"] if "Hikvision" not in r["name"]]
    data["results"] += [copy.deepcopy(e) for e in extra]
    return json.dumps(data).encode()


@pytest.fixture
def lists_server(monkeypatch):
    server = point_lists_at(monkeypatch, ListServer())
    server.routes["/supplychain/coveredlist"] = (
        (FIXTURES / "coveredlist.html").read_bytes(),
        "text/html; charset=utf-8",
        '"fcc-v1"',
    )
    yield server
    server.stop()


def publish(server: ListServer, body: bytes, etag: str) -> None:
    server.routes["/consolidated.json"] = (body, "application/json", f'"{etag}"')


@pytest.fixture
def env(monkeypatch, tmp_path, fake):
    monkeypatch.setenv("VENDORCHECK_DATA_DIR", str(tmp_path / "data"))
    monkeypatch.setenv("VENDORCHECK_CORPUS_DIR", str(tmp_path / "corpus"))
    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    monkeypatch.setenv("SLACK_API_URL", fake.url)
    return EngineConfig(corpus_dir=tmp_path / "corpus", data_dir=tmp_path / "data")


def watch(config: EngineConfig, channel: str, *vendors: str) -> None:
    watchlist = Watchlist(config.data_dir)
    try:
        for vendor in vendors:
            watchlist.watch(channel, vendor)
    finally:
        watchlist.close()


def lists_sync(capsys, *extra: str) -> tuple[int, str, str]:
    code = bot.cli.main(["lists", "sync", *extra])
    out, err = capsys.readouterr()
    return code, out, err


def posts_to(fake, channel: str) -> list[dict]:
    return [
        c.body
        for c in fake.calls
        if c.method == "chat.postMessage" and c.body.get("channel") == channel
    ]


def test_added_then_removed_alerts_once_each_and_never_for_a_lookalike(
    capsys, env, fake, lists_server
):
    watch(env, "C0HIKV", "Hikvision")
    watch(env, "C0AZTEC", "Aztec", "Acme Widgets")
    publish(lists_server, csl_version(), "v0")
    code, out, _ = lists_sync(capsys)
    assert code == 0 and "first sync, no watch alerts" in out  # compared with the bundle
    assert posts_to(fake, "C0HIKV") == [] and posts_to(fake, "C0AZTEC") == []

    # The next sync adds Hikvision's company and ZTE to the Entity List.
    publish(lists_server, csl_version(HIKVISION, ZTE), "v1")
    code, out, _ = lists_sync(capsys)
    assert code == 0
    [alert] = posts_to(fake, "C0HIKV")
    text = all_text(alert)
    assert "*Hangzhou Hikvision Digital Technology Co., Ltd.* was added to" in text
    assert f"*{ENTITY_LIST}*" in text
    assert "Listed since 2019-10-09" in text and "84 FR 54002" in text
    assert f"<{BIS}|source>" in text
    assert "*Hikvision*, watched in this channel" in text
    assert alert["text"].startswith("Hikvision: Hangzhou Hikvision")
    assert "alerted   C0HIKV: Hikvision: Hangzhou Hikvision" in out
    assert posts_to(fake, "C0AZTEC") == []  # "Aztec" is not "ZTE", "Acme Widgets" not Acme Data

    # Repeated syncs (a 304, then the same list under a new ETag) post nothing new.
    assert lists_sync(capsys)[0] == 0
    publish(lists_server, csl_version(HIKVISION, ZTE), "v1-again")
    assert lists_sync(capsys)[0] == 0
    assert len(posts_to(fake, "C0HIKV")) == 1

    # Removed from the list: one removal alert.
    publish(lists_server, csl_version(ZTE), "v2")
    assert lists_sync(capsys)[0] == 0
    alerts = posts_to(fake, "C0HIKV")
    assert len(alerts) == 2
    removal = all_text(alerts[1])
    assert "*Hangzhou Hikvision Digital Technology Co., Ltd.* was removed from" in removal
    assert "Had been listed since 2019-10-09" in removal and "84 FR 54002" in removal

    # Added and removed again: each (channel, list, name, change) was already alerted.
    publish(lists_server, csl_version(HIKVISION, ZTE), "v3")
    lists_sync(capsys)
    publish(lists_server, csl_version(ZTE), "v4")
    lists_sync(capsys)
    assert len(posts_to(fake, "C0HIKV")) == 2
    assert posts_to(fake, "C0AZTEC") == []


def test_list_text_is_escaped(capsys, env, fake, lists_server):
    watch(env, "C0VELKOR", "Velkor")
    publish(lists_server, csl_version(), "v0")
    lists_sync(capsys)
    publish(lists_server, csl_version(HOSTILE), "v1")
    lists_sync(capsys)
    [alert] = posts_to(fake, "C0VELKOR")
    text = all_text(alert)
    assert "Velkor &lt;!channel&gt; Systems &amp; Partners" in text
    assert "&lt;@U999&gt; 85 FR 1 &lt;http://evil.example|click&gt;" in text
    for raw in ("<!channel>", "<@U999>", "<http://evil"):
        assert raw not in text
    assert "Velkor &lt;!channel&gt;" in alert["text"] and "<!channel>" not in alert["text"]


def test_no_alerts_flag_no_token_and_a_failed_post(capsys, env, fake, lists_server, monkeypatch):
    watch(env, "C0ZTE", "ZTE")
    publish(lists_server, csl_version(), "v0")
    lists_sync(capsys)
    publish(lists_server, csl_version(ZTE), "v1")
    code, out, err = lists_sync(capsys, "--no-alerts")
    assert code == 0 and "alerted" not in out + err and posts_to(fake, "C0ZTE") == []

    monkeypatch.delenv("SLACK_BOT_TOKEN")
    publish(lists_server, csl_version(), "v2")
    code, _out, err = lists_sync(capsys)
    assert code == 0 and "alerts    not sent: SLACK_BOT_TOKEN is not set" in err

    monkeypatch.setenv("SLACK_BOT_TOKEN", BOT_TOKEN)
    fake.fail_methods["chat.postMessage"] = "not_in_channel"
    try:
        publish(lists_server, csl_version(ZTE), "v3")
        code, out, err = lists_sync(capsys, "--json")
    finally:
        del fake.fail_methods["chat.postMessage"]
    assert code == 0 and json.loads(out)["ok"]  # stdout stays one JSON object
    assert "alert     C0ZTE: not sent (not_in_channel)" in err


def test_every_change_of_a_vendor_with_many_entries_is_matched(env, lists_server):
    """Sixty affiliates added at once (the Entity List adds them in batches): each one alerts,
    however many share the vendor's name (screening alone fully scores 40 names a query)."""
    publish(lists_server, csl_version(), "v0")
    sync_lists(env)
    words = "Technologies Telecom Energy Networks Services Trading Electronics Communications"
    cities = "Beijing Shanghai Tianjin Chongqing Moscow Berlin Dubai Shenzhen"
    affiliates = [
        _entity(f"Huawei {word} {city} Co., Ltd.", "85 FR 51596", "2020-08-20")
        for word in words.split()
        for city in cities.split()
    ][:60]
    publish(lists_server, csl_version(*affiliates, ZTE), "v1")
    changes = changes_of(sync_lists(env))
    assert len(changes) == 61
    watches = {"C0HUAWEI": ["Huawei"], "C0AZTEC": ["Aztec"]}
    matches = match_changes(watches, changes, load_snapshot(env))
    assert {m.channel for m in matches} == {"C0HUAWEI"}
    assert sorted(m.change.entry.name for m in matches) == sorted(a["name"] for a in affiliates)
    assert all(m.change.kind == "added" and m.confidence >= 0.75 for m in matches)
