"""`vendorcheck serve` as deployed keeps the official lists fresh: VENDORCHECK_SYNC_INTERVAL drives
the list sync beside the feed sync, a watched vendor's new listing is alerted once, and answers
show the new entry without a restart. Real subprocess, loopback list server, fake Slack."""

from __future__ import annotations

import json
import signal
import time

from conftest import SEED_SHORT, root_config, seed_corpus
from slack_fakes import send_signed, slack_env, slash_body
from slack_harness import start_serve
from test_lists_sync import ListServer
from test_lists_watch import ENTITY_LIST, FIXTURES, HIKVISION, csl_version, publish, watch

from index.engine import build
from index.lists import sync_lists


def test_serve_syncs_the_lists_on_schedule_alerts_once_and_answers_with_the_new_entry(
    tmp_path, model_cache, fake, monkeypatch
):
    config = root_config(tmp_path, seed_corpus(tmp_path, SEED_SHORT, url=False), model_cache)
    build(config)
    lists = ListServer()
    urls = {
        "VENDORCHECK_ALLOW_PRIVATE_URLS": "1",
        "VENDORCHECK_LISTS_CSL_URL": f"{lists.url}/consolidated.json",
        "VENDORCHECK_LISTS_FCC_URL": f"{lists.url}/supplychain/coveredlist",
    }
    try:
        for name, value in urls.items():
            monkeypatch.setenv(name, value)
        lists.routes["/supplychain/coveredlist"] = (
            (FIXTURES / "coveredlist.html").read_bytes(),
            "text/html; charset=utf-8",
            '"fcc-v1"',
        )
        publish(lists, csl_version(), "v0")  # an earlier sync, without Hikvision's company
        assert sync_lists(config).ok
        watch(config, "C0LISTS", "Hikvision")
        publish(lists, csl_version(HIKVISION), "v1")  # what the scheduled sync will find

        env = slack_env(fake, VENDORCHECK_SYNC_INTERVAL="1", **urls)
        process, url = start_serve(config, env)
        to_channel = lambda c: c.method == "chat.postMessage" and c.body.get("channel") == "C0LISTS"  # noqa: E731
        try:
            [alert] = fake.wait_for(to_channel, timeout=120)
            text = json.dumps(alert.body)
            assert "was added to" in text and ENTITY_LIST in text and "84 FR 54002" in text

            name = f"lists{time.time_ns()}"
            status, _, _ = send_signed(
                url, slash_body("is hikvision allowed?", fake.response_url(name))
            )
            assert status == 200
            answer = json.dumps(fake.wait_for(fake.to_response(name), timeout=60)[0].body)
            assert f"*{ENTITY_LIST}* since 2019-10-09" in answer and "84 FR 54002" in answer

            # Later syncs are conditional (304) and alert nothing more.
            csl_requests = lambda: [r for r in lists.requests if r[0] == "/consolidated.json"]  # noqa: E731
            seen = len(csl_requests())
            deadline = time.monotonic() + 60
            while len(csl_requests()) < seen + 2 and time.monotonic() < deadline:
                time.sleep(0.1)
            assert [r[2] for r in csl_requests()[-2:]] == [304, 304]
        finally:
            process.send_signal(signal.SIGTERM)
            _out, err = process.communicate(timeout=60)
    finally:
        lists.stop()
    assert process.returncode == 0, err
    assert len([c for c in fake.calls if to_channel(c)]) == 1
    [line] = [line for line in err.splitlines() if "list sync: csl: updated" in line]
    assert "4 entries (+1 -0)" in line and "1 alert(s)" in line
