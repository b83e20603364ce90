"""Set-up shared by the Slack benchmarks (bench_slack_ack, load, slack_path): a work dir with
corpus/ plus the test fixtures, and the environment for `python -m bot` pointed at it and at
the fake Slack Web API from tests/slack_fakes.py (which `start_http_serve` also comes from)."""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.common import OUT, ROOT, model_cache

if str(ROOT / "tests") not in sys.path:
    sys.path.insert(0, str(ROOT / "tests"))

from slack_fakes import FakeSlack, slack_env, start_http_serve

__all__ = ["FakeSlack", "index", "seed_workdir", "serve_env", "start_http_serve"]

# What the simulated users ask, round robin.
QUESTIONS = [
    "is Kaspersky allowed on GSA?",
    "kaspersky",
    "was Quillon removed from the GSA schedule?",
    "Norvel router vulnerability",
    "Zentara FCC covered list",
]


def seed_workdir(prefix: str) -> Path:
    """A fresh temp dir holding `corpus/`: the repository's corpus plus the test fixtures."""
    work = Path(tempfile.mkdtemp(prefix=prefix))
    corpus = work / "corpus"
    corpus.mkdir()
    for source in (ROOT / "corpus", ROOT / "tests" / "fixtures" / "corpus"):
        for path in source.iterdir():
            if path.is_file():
                shutil.copy(path, corpus / path.name)
    return work


def serve_env(work: Path, fake: FakeSlack, **extra: str) -> dict[str, str]:
    """The process environment for `python -m bot ...` on `work`, talking to `fake`."""
    return {
        **os.environ,
        "PYTHONPATH": str(ROOT),
        "HF_HUB_OFFLINE": "1",
        "VENDORCHECK_CORPUS_DIR": str(work / "corpus"),
        "VENDORCHECK_DATA_DIR": str(work / "data"),
        "VENDORCHECK_MODEL_CACHE": str(model_cache()),
        **slack_env(fake),
        "VENDORCHECK_LOG_LEVEL": "WARNING",
        **extra,
    }


def index(env: dict[str, str], work: Path) -> None:
    """`vendorcheck index -q` on the work dir (fails loudly)."""
    subprocess.run([sys.executable, "-m", "bot", "index", "-q"], env=env, cwd=work, check=True)


def percentile(values: list[float], p: float) -> float:
    """Nearest-rank percentile (p in 0..1) of a non-empty list."""
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, round(p * (len(ordered) - 1)))]


def report(rows: list[dict], name: str, width: int) -> None:
    """Print `rows` as a right-aligned table and write them to benchmarks/out/<name>.json."""
    columns = list(rows[0])
    print(" | ".join(f"{c:>{width}}" for c in columns))
    for r in rows:
        print(" | ".join(f"{r[c]!s:>{width}}" for c in columns))
    OUT.mkdir(parents=True, exist_ok=True)
    (OUT / f"{name}.json").write_text(json.dumps(rows, indent=2))
