"""`vendorcheck serve` as a user runs it: a real subprocess, start-up checks, SIGTERM, logs."""

from __future__ import annotations

import json
import re
import signal
import subprocess
import sys
import urllib.parse
from pathlib import Path

import pytest
from conftest import REPO, cli_env, run_cli
from slack_fakes import (
    APP_TOKEN,
    BOT_TOKEN,
    SIGNING_SECRET,
    all_text,
    free_port,
    send_signed,
    slack_env,
    slash_body,
)
from slack_harness import start_serve
from slack_socket_server import FakeSocketMode, StderrLines, envelope

from bot.slack.feedback import FeedbackStore
from index.config import EngineConfig

SEED_FILE = "crn-2017-07-11-kaspersky-gsa.md"
SEED_URL = (
    "https://www.crn.com/news/security/300088541/kaspersky-lab-faces-new-wave-of-allegations-"
    "about-russian-roots-could-be-blocked-from-federal-sales"
)


@pytest.fixture(scope="module")
def seed_config(tmp_path_factory, model_cache) -> EngineConfig:
    """The repository's own corpus/ indexed with the CLI, as a fresh clone would."""
    root = tmp_path_factory.mktemp("seed")
    config = EngineConfig(
        corpus_dir=REPO / "corpus",
        index_dir=root / "index",
        data_dir=root / "data",
        model_cache_dir=model_cache,
    )
    done = subprocess.run(
        [sys.executable, "-m", "bot", "index", "-q"],
        env=cli_env(config),
        cwd=root,
        capture_output=True,
        text=True,
        timeout=300,
    )
    assert done.returncode == 0, done.stderr
    return config


def test_serve_http_answers_signed_kaspersky_then_stops_cleanly(seed_config, fake):
    """The issue's done-when, plus: SIGTERM exits 0, and no secret in any DEBUG log line."""
    env = slack_env(fake, VENDORCHECK_LOG_LEVEL="DEBUG")
    process, url = start_serve(seed_config, env)
    try:
        status, body, _ = send_signed(url, slash_body("kaspersky", fake.response_url("done")))
        assert status == 200 and body == ""
        message = fake.wait_for(fake.to_response("done"), timeout=60)[0].body
        text = all_text(message)
        assert "GSA Schedule" in text or "Kaspersky" in text
        # A quote in a block quote, its key sentence in bold, and that sentence is the
        # article's own text.
        quotes = [line for line in text.splitlines() if line.startswith("> ")]
        bold = [b for line in quotes for b in re.findall(r"\*([^*]+)\*", line)]
        assert quotes and bold, text
        article = " ".join((REPO / "corpus" / SEED_FILE).read_text(encoding="utf-8").split())
        assert any(" ".join(b.rstrip("…").split())[:60] in article for b in bold), bold
        assert f"<{SEED_URL}|" in text
        assert "2017-07-11" in text
        # the bot token reached the (fake) Web API, so it was really in use
        assert any(c.headers.get("Authorization") == f"Bearer {BOT_TOKEN}" for c in fake.calls)
    finally:
        process.send_signal(signal.SIGTERM)
        out, err = process.communicate(timeout=60)
    assert process.returncode == 0, err
    assert "stopped" in err
    assert "DEBUG" in err  # the debug level really was on
    for secret in (BOT_TOKEN, SIGNING_SECRET, APP_TOKEN, BOT_TOKEN[5:], SIGNING_SECRET[:12]):
        assert secret not in out and secret not in err


def start_socket_serve(config: EngineConfig, fake) -> tuple[subprocess.Popen, StderrLines]:
    env = slack_env(
        fake, SLACK_APP_TOKEN=APP_TOKEN, SLACK_SIGNING_SECRET="", VENDORCHECK_LOG_LEVEL="DEBUG"
    )
    process = subprocess.Popen(
        [sys.executable, "-m", "bot", "serve"],
        env=cli_env(config, **env),
        cwd=config.data_dir.parent,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    return process, StderrLines(process.stderr)


def stop(process: subprocess.Popen, err: StderrLines) -> str:
    process.send_signal(signal.SIGTERM)
    process.wait(timeout=60)
    return err.text()


def test_socket_mode_answers_over_a_real_connection_then_stops(seed_config, fake):
    """Connected is said after Slack's hello, a slash command is acked over the websocket
    and answered; SIGTERM exits 0; no secret in any DEBUG line."""
    server = FakeSocketMode().start()
    fake.socket_url = lambda: server.url
    process, err = start_socket_serve(seed_config, fake)
    try:
        err.wait_for("vendorcheck: Socket Mode connected to Slack")
        form = slash_body("kaspersky", fake.response_url("socket-serve"))
        message = envelope(
            "slash_commands", {k: v[0] for k, v in urllib.parse.parse_qs(form).items()}
        )
        server.send(message)
        _, ack = server.wait_ack(message["envelope_id"])
        assert not ack.get("payload")  # an empty ack; the answer follows at response_url
        answer = fake.wait_for(fake.to_response("socket-serve"), timeout=60)[0].body
        assert f"<{SEED_URL}|" in all_text(answer) and "2017-07-11" in all_text(answer)
    finally:
        text = stop(process, err)
        server.stop()
    assert process.returncode == 0, text
    assert "NOT connected" not in text and "stopped" in text and "DEBUG" in text
    for secret in (APP_TOKEN, BOT_TOKEN, APP_TOKEN[5:], BOT_TOKEN[5:]):
        assert secret not in text


def test_socket_mode_unreachable_says_not_connected(seed_config, fake):
    """The handed-out websocket URL refuses: one line says so, the bot keeps running (and
    retrying), and it never claims to be connected or started."""
    fake.socket_url = lambda: f"ws://127.0.0.1:{free_port()}/link/?ticket=dead"
    process, err = start_socket_serve(seed_config, fake)
    try:
        line = err.wait_for("vendorcheck: Socket Mode is NOT connected to Slack")
        assert "Connection refused" in line and "retrying every 10 s" in line
        assert process.poll() is None  # still up, still trying
    finally:
        text = stop(process, err)
    assert process.returncode == 0, text
    ours = [t for t in text.splitlines() if t.startswith("vendorcheck:")]
    assert not any("connected to Slack" in t and "NOT" not in t for t in ours), ours
    assert not any("started" in t for t in ours), ours
    assert len([t for t in ours if "NOT connected" in t]) == 1


def test_socket_mode_refused_app_token_is_one_line(seed_config, fake):
    fake.fail_methods["apps.connections.open"] = "invalid_auth"
    try:
        env = slack_env(fake, SLACK_APP_TOKEN=APP_TOKEN, SLACK_SIGNING_SECRET="")
        done = run_cli(seed_config, "serve", **env)
    finally:
        fake.fail_methods.clear()
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if "vendorcheck: error:" in line]
    assert len(errors) == 1 and "SLACK_APP_TOKEN" in errors[0] and "invalid_auth" in errors[0]
    assert "Traceback" not in done.stderr and APP_TOKEN not in done.stderr
    assert "connected to Slack" not in done.stderr


def test_unreachable_slack_is_one_line(seed_config, fake):
    env = slack_env(fake, SLACK_API_URL=f"http://127.0.0.1:{free_port()}/api/")
    done = run_cli(seed_config, "serve", "--http", "--port", str(free_port()), **env)
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    assert (
        done.stderr.strip()
        .splitlines()[-1]
        .startswith("vendorcheck: error: cannot reach the Slack Web API")
    )


@pytest.mark.parametrize(
    ("args", "unset", "variable"),
    [
        (["--http"], "SLACK_BOT_TOKEN", "SLACK_BOT_TOKEN"),
        (["--http"], "SLACK_SIGNING_SECRET", "SLACK_SIGNING_SECRET"),
        ([], "SLACK_APP_TOKEN", "SLACK_APP_TOKEN"),
    ],
)
def test_missing_variable_is_one_line_naming_it(seed_config, fake, args, unset, variable):
    env = slack_env(fake, SLACK_APP_TOKEN=APP_TOKEN)
    env[unset] = ""
    done = run_cli(seed_config, "serve", *args, "--port", str(free_port()), **env)
    assert done.returncode != 0
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1, done.stderr
    assert variable in lines[0] and 'README "Install in Slack"' in lines[0]
    assert "Traceback" not in done.stderr


def test_missing_index_refuses_to_start(tmp_path, model_cache, fake):
    config = EngineConfig(
        corpus_dir=tmp_path / "corpus",
        index_dir=tmp_path / "no-index",
        data_dir=tmp_path / "data",
        model_cache_dir=model_cache,
    )
    (tmp_path / "corpus").mkdir()
    done = run_cli(config, "serve", "--http", "--port", str(free_port()), **slack_env(fake))
    assert done.returncode == 1
    assert "Traceback" not in done.stderr
    errors = [line for line in done.stderr.splitlines() if "vendorcheck: error:" in line]
    assert len(errors) == 1 and "index" in errors[0]


def test_rejected_bot_token_is_one_line(seed_config, fake):
    fake.fail_methods["auth.test"] = "invalid_auth"
    try:
        done = run_cli(
            seed_config, "serve", "--http", "--port", str(free_port()), **slack_env(fake)
        )
    finally:
        fake.fail_methods.clear()
    assert done.returncode == 1
    errors = [line for line in done.stderr.splitlines() if "vendorcheck: error:" in line]
    assert len(errors) == 1 and "SLACK_BOT_TOKEN" in errors[0] and "invalid_auth" in errors[0]
    assert BOT_TOKEN not in done.stderr and "Traceback" not in done.stderr


def test_start_without_tokens_says_what_is_missing(seed_config, fake):
    env = {"SLACK_BOT_TOKEN": "", "SLACK_SIGNING_SECRET": "", "SLACK_APP_TOKEN": ""}
    done = run_cli(seed_config, "start", **env)
    assert done.returncode == 0, done.stderr
    assert "2017-07-11" in done.stdout  # the sample answer was still given locally
    assert "Slack bot: not started" in done.stdout
    assert "SLACK_BOT_TOKEN" in done.stdout and "SLACK_APP_TOKEN" in done.stdout


def test_feedback_cli_reads_what_the_bot_recorded(tmp_path: Path, model_cache):
    config = EngineConfig(
        corpus_dir=tmp_path / "corpus",
        index_dir=tmp_path / "index",
        data_dir=tmp_path / "data",
        model_cache_dir=model_cache,
    )
    (tmp_path / "corpus").mkdir()
    empty = run_cli(config, "feedback")
    assert empty.returncode == 0 and "No feedback yet" in empty.stdout
    store = FeedbackStore(config.data_dir)
    shown = [
        {
            "rank": 1,
            "score": 0.7,
            "article_id": "a1",
            "title": "T",
            "url": "u",
            "start": 0,
            "end": 5,
        }
    ]
    store.record(user_id="U1", helpful=True, query="kaspersky gsa", results=shown)
    store.record(user_id="U2", helpful=False, query="norvel", results=[])
    store.close()
    done = run_cli(config, "feedback")
    assert done.returncode == 0
    assert "helpful" in done.stdout and "'kaspersky gsa'" in done.stdout and "U2" in done.stdout
    assert "2 records: 1 helpful, 1 not helpful" in done.stdout
    as_json = run_cli(config, "feedback", "--json", "--only", "helpful")
    records = [json.loads(line) for line in as_json.stdout.splitlines()]
    assert [r["user_id"] for r in records] == ["U1"]
    assert records[0]["results"] == shown
