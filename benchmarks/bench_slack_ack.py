"""Slack bot latency: how fast `/vendorcheck` is acked and answered, one user and a burst.

Starts the real `vendorcheck serve --http` (subprocess, loopback) on an index of corpus/ plus
the test fixtures, with the fake Slack API from tests/slack_fakes.py, then sends signed slash
commands: N sequential (one user asking) and N concurrent (a burst). Prints a table and writes
benchmarks/out/slack_ack.json.

    HF_HUB_OFFLINE=1 python benchmarks/bench_slack_ack.py [-n 50]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from slack_fakes import FakeSlack, send_signed, slash_body, start_http_serve  # noqa: E402

from benchmarks.slack_stack import (  # noqa: E402
    QUESTIONS,
    index,
    percentile,
    report,
    seed_workdir,
    serve_env,
)


def row(name: str, acks: list[float], answers: list[float], wall: float) -> dict:
    return {
        "run": name,
        "n": len(acks),
        "ack_p50_ms": round(statistics.median(acks) * 1000, 1),
        "ack_p95_ms": round(percentile(acks, 0.95) * 1000, 1),
        "ack_max_ms": round(max(acks) * 1000, 1),
        "answer_p50_ms": round(statistics.median(answers) * 1000, 1),
        "answer_p95_ms": round(percentile(answers, 0.95) * 1000, 1),
        "answers_per_s": round(len(answers) / wall, 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser()
    parser.add_argument("-n", type=int, default=50)
    args = parser.parse_args()
    work = seed_workdir("vc-bench-slack-")
    fake = FakeSlack().start()
    env = serve_env(work, fake, VENDORCHECK_RATE_LIMIT="0")
    index(env, work)
    server, url = start_http_serve(env, work)
    try:

        def ask(i: int, tag: str) -> tuple[float, float]:
            name = f"{tag}{i}"
            start = time.monotonic()
            body = slash_body(QUESTIONS[i % len(QUESTIONS)], fake.response_url(name), f"U{i}")
            status, _, ack = send_signed(url, body)
            assert status == 200, status
            fake.wait_for(fake.to_response(name), timeout=120)
            return ack, time.monotonic() - start

        rows = []
        start = time.monotonic()
        results = [ask(i, "seq") for i in range(args.n)]
        rows.append(
            row(
                "sequential",
                [a for a, _ in results],
                [b for _, b in results],
                time.monotonic() - start,
            )
        )
        start = time.monotonic()
        with ThreadPoolExecutor(max_workers=min(args.n, 64)) as pool:
            results = list(pool.map(lambda i: ask(i, "burst"), range(args.n)))
        rows.append(
            row(
                "concurrent",
                [a for a, _ in results],
                [b for _, b in results],
                time.monotonic() - start,
            )
        )
    finally:
        server.terminate()
        server.wait(timeout=60)
        fake.stop()
        shutil.rmtree(work, ignore_errors=True)

    report(rows, "slack_ack", 13)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
