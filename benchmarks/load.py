"""Load: N concurrent signed `/vendorcheck` commands against `vendorcheck serve --http`.

Loopback only. Starts the real server (subprocess, default settings: 2 answer workers, 20 s
answer timeout, 1000 queued) on an index of corpus/ plus the test fixtures, with the fake Slack
Web API / response_url from tests/slack_fakes.py. For each N, all N requests are released at
once (one thread each, distinct users), then the run waits for every answer at the fake
response_url. Prints acks p50/p95/max, how many were acked within Slack's 3 s, answers
delivered / timed out ("took too long") / other errors, and answers per second (N / time from
release to the last answer). Writes benchmarks/out/load.json.

    HF_HUB_OFFLINE=1 python benchmarks/load.py [--n 50 200 500] [--max-wait 300]
"""

from __future__ import annotations

import argparse
import shutil
import statistics
import subprocess
import sys
import threading
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]

from slack_fakes import (  # noqa: E402
    FakeSlack,
    all_text,
    send_signed,
    slash_body,
    start_http_serve,
)

from benchmarks.slack_stack import (  # noqa: E402
    QUESTIONS,
    index,
    percentile,
    report,
    seed_workdir,
    serve_env,
)

MAX_N = 1000  # bounded: one thread per request


def run(url: str, fake: FakeSlack, n: int, max_wait: float) -> dict:
    tag = f"n{n}-{time.time_ns()}-"
    release = threading.Event()

    def one(i: int) -> tuple[int, float]:
        body = slash_body(QUESTIONS[i % len(QUESTIONS)], fake.response_url(f"{tag}{i}"), f"U{i}")
        release.wait()
        try:
            status, _, seconds = send_signed(url, body)
        except OSError:
            return 0, float("inf")
        return status, seconds

    with ThreadPoolExecutor(max_workers=n) as pool:
        futures = [pool.submit(one, i) for i in range(n)]
        time.sleep(0.2)  # let every thread reach the gate
        started = time.monotonic()
        release.set()
        acks = [f.result() for f in futures]
    names = {f"/response/{tag}{i}" for i in range(n)}
    deadline = started + max_wait
    replies: dict[str, dict] = {}
    last = started
    while len(replies) < n and time.monotonic() < deadline:
        for call in list(fake.calls):
            if call.path in names and call.path not in replies:
                replies[call.path] = call.body
                last = max(last, call.at)
        time.sleep(0.05)
    texts = [all_text(body) for body in replies.values()]
    timed_out = sum("took too long" in t for t in texts)
    failed = sum(("went wrong" in t or "busy" in t) for t in texts)
    seconds = [s for status, s in acks if status == 200]
    return {
        "n": n,
        "acked_200": len(seconds),
        "acked_within_3s": sum(s < 3.0 for s in seconds),
        "ack_p50_ms": round(statistics.median(seconds) * 1000, 1) if seconds else None,
        "ack_p95_ms": round(percentile(seconds, 0.95) * 1000, 1) if seconds else None,
        "ack_max_ms": round(max(seconds) * 1000, 1) if seconds else None,
        "answered": len(texts) - timed_out - failed,
        "took_too_long": timed_out,
        "errors": failed + (n - len(texts)) + (n - len(seconds)),
        "seconds_to_last_answer": round(last - started, 2),
        "answers_per_s": round((len(texts) - timed_out - failed) / max(last - started, 1e-9), 1),
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--n", type=int, nargs="+", default=[50, 200, 500])
    parser.add_argument("--max-wait", type=float, default=300.0, help="per run, seconds")
    args = parser.parse_args()
    if any(not 0 < n <= MAX_N for n in args.n):
        parser.error(f"each N must be 1..{MAX_N}")
    work = seed_workdir("vc-bench-load-")
    fake = FakeSlack().start()
    env = serve_env(work, fake)
    index(env, work)
    server, url = start_http_serve(env, work, timeout=180, stderr=subprocess.DEVNULL)
    try:
        rows = [run(url, fake, n, args.max_wait) for n in args.n]
    finally:
        server.terminate()
        server.wait(timeout=90)
        fake.stop()
        shutil.rmtree(work, ignore_errors=True)

    report(rows, "load", 14)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
