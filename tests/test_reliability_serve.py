"""Issue 5 against `vendorcheck serve --http` as a real process on 127.0.0.1: a test-sized load
run, SIGTERM with answers in flight, feedback surviving kill -9, no secret in DEBUG logs through
every kind of request, and refusal to serve a corrupt index. (`benchmarks/load.py` is the big
load run.)"""

from __future__ import annotations

import json
import shutil
import signal
import time
from concurrent.futures import ThreadPoolExecutor

import pytest
from conftest import run_cli
from slack_fakes import (
    APP_TOKEN,
    BOT_TOKEN,
    BOT_USER_ID,
    SIGNING_SECRET,
    FakeSlack,
    action_body,
    action_payload,
    all_text,
    button,
    event_body,
    free_port,
    post,
    send_signed,
    slack_env,
    slash_body,
)
from slack_harness import build_test_corpus, start_serve

from bot.slack.feedback import FeedbackStore
from index.store.generations import current_generation

QUESTIONS = [
    "is Kaspersky allowed on GSA?",
    "kaspersky",
    "why was Corvane banned?",
    "was Quillon removed from the GSA schedule?",
    "Norvel router vulnerability",
]
FAILURE_WORDS = ("took too long", "went wrong", "busy", "Please wait")


@pytest.fixture(scope="module")
def config(tmp_path_factory, model_cache):
    return build_test_corpus(tmp_path_factory.mktemp("rel-serve"), model_cache)


def burst(url: str, fake: FakeSlack, prefix: str, n: int) -> list[tuple[str, int, str, float]]:
    """n signed /vendorcheck commands at once, each from its own user: (name, status, body, s)."""

    def one(i: int):
        name = f"{prefix}{i}"
        body = slash_body(QUESTIONS[i % len(QUESTIONS)], fake.response_url(name), user=f"U{i}")
        status, text, seconds = send_signed(url, body)
        return name, status, text, seconds

    with ThreadPoolExecutor(n) as pool:
        return list(pool.map(one, range(n)))


def test_load_then_sigterm_with_answers_in_flight(config, fake):
    """N=30 concurrent signed commands: all acked within Slack's 3 s, all answered, no error
    reply. Then a second burst and SIGTERM as soon as it is acked: the answers in flight are
    still delivered and the process exits 0."""
    process, url = start_serve(config, slack_env(fake, VENDORCHECK_SHUTDOWN_GRACE="60"))
    try:
        sent = burst(url, fake, f"load{time.time_ns()}-", 30)
        assert [s for _, s, _, _ in sent] == [200] * 30
        assert max(seconds for *_, seconds in sent) < 3.0, sorted(s for *_, s in sent)[-5:]
        assert all(body == "" for _, _, body, _ in sent)  # acked empty; the answer follows
        for name, *_ in sent:
            message = fake.wait_for(fake.to_response(name), timeout=120)[0].body
            text = all_text(message)
            assert not any(word in text for word in FAILURE_WORDS), text[:300]
            assert "http" in text  # a sourced answer

        second = burst(url, fake, f"term{time.time_ns()}-", 20)
        assert [s for _, s, _, _ in second] == [200] * 20
        process.send_signal(signal.SIGTERM)
        delivered = {c.path for c in list(fake.calls)}
        in_flight = sum(f"/response/{name}" not in delivered for name, *_ in second)
        _, err = process.communicate(timeout=90)
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err[-2000:]
    assert in_flight > 0, "every answer was done before SIGTERM: nothing was in flight"
    for name, *_ in second:
        calls = fake.wait_for(fake.to_response(name), timeout=5)
        assert len(calls) == 1
        assert not any(w in all_text(calls[0].body) for w in FAILURE_WORDS)
    assert "stopped" in err and "did not finish" not in err


def test_full_request_cycle_logs_no_secret_and_feedback_survives_kill_9(config, fake):
    env = slack_env(fake, VENDORCHECK_LOG_LEVEL="DEBUG", SLACK_APP_TOKEN=APP_TOKEN)
    process, url = start_serve(config, env)
    stamp = time.time_ns()
    try:
        # a slash command, a mention, a DM, a forged request, url_verification, then buttons
        assert send_signed(url, slash_body("kaspersky", fake.response_url(f"s{stamp}")))[0] == 200
        answer = fake.wait_for(fake.to_response(f"s{stamp}"), timeout=60)[0].body
        for kind in ("app_mention", "message"):
            event = {
                "type": kind,
                "channel_type": "im" if kind == "message" else "channel",
                "user": "U0SECRET",
                "text": f"<@{BOT_USER_ID}> why was Corvane banned?",
                "ts": "1700000600.000100",
                "channel": f"C{kind}{stamp}",
            }
            assert send_signed(url, event_body(event), form=False)[0] == 200
            fake.wait_for(lambda c, ch=f"C{kind}{stamp}": c.body.get("channel") == ch, timeout=60)
        # a user pasting the bot token into a question (Bolt logs request bodies at DEBUG)
        pasted = slash_body(f"is {BOT_TOKEN} safe to share?", fake.response_url(f"p{stamp}"))
        assert send_signed(url, pasted)[0] == 200
        fake.wait_for(fake.to_response(f"p{stamp}"), timeout=60)
        forged = slash_body("kaspersky", fake.response_url("never"))
        assert post(url, forged, {}, "application/x-www-form-urlencoded")[0] == 401
        challenge = json.dumps({"type": "url_verification", "challenge": "c1", "token": "t"})
        assert send_signed(url, challenge, form=False)[0] == 200
        more = button(answer, "vc_more")
        if more is not None:
            click = action_payload("vc_more", more["value"], fake.response_url(f"m{stamp}"))
            assert send_signed(url, action_body(click))[0] == 200
            fake.wait_for(fake.to_response(f"m{stamp}"), timeout=60)
        # feedback: once the click is acked it is on disk, whatever happens next
        helpful = button(answer, "vc_helpful")
        click = action_payload("vc_helpful", helpful["value"], fake.response_url(f"f{stamp}"))
        click["user"]["id"] = "U0KILL9"
        assert send_signed(url, action_body(click))[0] == 200
    finally:
        process.send_signal(signal.SIGKILL)
        out, err = process.communicate(timeout=30)
    assert "DEBUG" in err  # debug logging really was on
    for secret in (BOT_TOKEN, SIGNING_SECRET, APP_TOKEN):
        for fragment in (secret, secret[-16:], secret[:16]):
            assert fragment not in out and fragment not in err, f"{fragment[:6]}... leaked"
    assert "hooks.slack.com" not in err

    records = FeedbackStore(config.data_dir).feedback()
    mine = [r for r in records if r["user_id"] == "U0KILL9"]
    assert len(mine) == 1 and mine[0]["query"] == "kaspersky" and mine[0]["results"]
    listed = run_cli(config, "feedback")
    assert listed.returncode == 0 and "U0KILL9" in listed.stdout


def test_serve_refuses_a_corrupt_index(config, fake, tmp_path):
    index_dir = tmp_path / "index"
    shutil.copytree(config.index_dir, index_dir)
    dense = current_generation(index_dir) / "dense.faiss"
    dense.write_bytes(dense.read_bytes()[:100])
    env = slack_env(fake, VENDORCHECK_INDEX_DIR=str(index_dir))
    done = run_cli(config, "serve", "--http", "--port", str(free_port()), **env)
    assert done.returncode == 1
    line = done.stderr.strip()
    assert "\n" not in line and "Traceback" not in line, done.stderr[-1000:]
    assert "dense.faiss" in line and "vendorcheck index --rebuild" in line
    assert "listening" not in done.stderr


def test_sigterm_is_bounded_and_unfinished_answers_are_told_not_dropped(config, fake):
    """VENDORCHECK_SHUTDOWN_GRACE bounds the drain: after it, every acked question that is not
    answered yet gets "restarting, ask again" (never silence, never two replies), exit 0."""
    # No grace at all: whatever is still queued or running when SIGTERM lands must be told.
    env = slack_env(fake, VENDORCHECK_SHUTDOWN_GRACE="0")
    process, url = start_serve(config, env)
    try:
        sent = burst(url, fake, f"bounded{time.time_ns()}-", 200)
        assert [s for _, s, _, _ in sent] == [200] * 200
        started = time.monotonic()
        process.send_signal(signal.SIGTERM)
        _, err = process.communicate(timeout=60)
        stopped_after = time.monotonic() - started
    finally:
        if process.poll() is None:
            process.kill()
            process.communicate()
    assert process.returncode == 0, err[-2000:]
    assert stopped_after < 0.5 + 10, stopped_after  # grace + notices (5 s) + process exit
    texts = []
    for name, *_ in sent:
        calls = fake.wait_for(fake.to_response(name), timeout=10)
        texts.append(all_text(calls[0].body))
    time.sleep(0.5)
    assert all(len([c for c in fake.calls if c.path == f"/response/{n}"]) == 1 for n, *_ in sent)
    restarting = [t for t in texts if "restarting" in t]
    assert restarting, "the grace period did not cut anything: raise the burst"
    assert all("restarting" in t or "http" in t for t in texts)
    assert "did not finish in time" in err and "Traceback" not in err
