"""Slack path: slash-command ack latency and end-to-end answer latency over loopback HTTP.

    python -m benchmarks.slack_path [-n 50]

The Slack app (bot/serve.py) and its latency benchmark (benchmarks/bench_slack_ack.py: the real
`vendorcheck serve --http` in a subprocess, signed slash commands, a local stand-in for the
Slack Web API and response_url) come from the Slack work. This entry point runs that benchmark
when both are present in the checkout, and otherwise says so and records "not available" (no
numbers are made up), so `python -m benchmarks` runs either way.
"""

from __future__ import annotations

import subprocess
import sys

from benchmarks.common import ROOT, write_json


def main() -> int:
    serve, bench = ROOT / "bot" / "serve.py", ROOT / "benchmarks" / "bench_slack_ack.py"
    if not (serve.exists() and bench.exists()):
        missing = [str(p.relative_to(ROOT)) for p in (serve, bench) if not p.exists()]
        print(f"Slack path: skipped, not in this checkout yet: {', '.join(missing)}")
        write_json("slack_path", {"status": "not available", "missing": missing})
        return 0
    return subprocess.run([sys.executable, str(bench), *sys.argv[1:]], cwd=ROOT).returncode


if __name__ == "__main__":
    raise SystemExit(main())
