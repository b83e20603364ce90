"""Slack path: serve ready time, slash-command ack latency and end-to-end answer latency.

    python -m benchmarks.slack_path [-n 50] [--ready-runs 3]

1. **Ready**: the real `python -m bot serve --http` on an index of corpus/ + the test fixtures,
   with the local stand-in for the Slack Web API from tests/slack_fakes.py; wall time from
   process start to the first 200 from /healthz, which the server only answers once the index
   and model are loaded, the model warmed up and the Bolt app authorised.
2. **Ack / answer**: benchmarks/bench_slack_ack.py (from the Slack work): signed slash
   commands over loopback HTTP, sequential and as a burst.

If the Slack app is not in the checkout, says so and records "not available".
"""

from __future__ import annotations

import argparse
import shutil
import subprocess
import sys
import time

import numpy as np

from benchmarks.common import ROOT, load_average, print_table, write_json


def ready_times(runs: int) -> list[float]:
    from benchmarks.slack_stack import FakeSlack, index, seed_workdir, serve_env, start_http_serve

    work = seed_workdir("vc-bench-ready-")
    fake = FakeSlack().start()
    env = serve_env(work, fake)
    times = []
    try:
        index(env, work)
        for _ in range(runs):
            started = time.perf_counter()
            server, _url = start_http_serve(env, work, timeout=60, poll=0.01)
            times.append(time.perf_counter() - started)
            server.terminate()
            server.wait(timeout=60)
    finally:
        fake.stop()
        shutil.rmtree(work, ignore_errors=True)
    return times


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("-n", type=int, default=50)
    parser.add_argument("--ready-runs", type=int, default=3)
    args = parser.parse_args()
    serve, bench = ROOT / "bot" / "serve.py", ROOT / "benchmarks" / "bench_slack_ack.py"
    if not (serve.exists() and bench.exists()):
        missing = [str(p.relative_to(ROOT)) for p in (serve, bench) if not p.exists()]
        print(f"Slack path: skipped, not in this checkout yet: {', '.join(missing)}")
        write_json("slack_path", {"status": "not available", "missing": missing})
        return 0
    print(f"load average at start: {load_average()}")
    ready = ready_times(args.ready_runs)
    print_table(
        ["runs", "serve ready s (each)", "median s"],
        [[len(ready), " ".join(f"{x:.2f}" for x in ready), float(np.median(ready))]],
        title="`vendorcheck serve --http`: process start to /healthz 200",
    )
    write_json(
        "slack_path",
        {
            "ready_s": [round(x, 3) for x in ready],
            "ready_median_s": round(float(np.median(ready)), 3),
        },
    )
    print("\nack / answer latency (benchmarks/bench_slack_ack.py, writes out/slack_ack.json):")
    return subprocess.run([sys.executable, str(bench), "-n", str(args.n)], cwd=ROOT).returncode


if __name__ == "__main__":
    raise SystemExit(main())
