"""Set-up shared by the Slack benchmarks (bench_slack_ack, load, slack_path): a work dir with
corpus/ plus the test fixtures, and the environment for `python -m bot` pointed at it and at
the fake Slack Web API from tests/slack_fakes.py (which `start_http_serve` also comes from)."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

from benchmarks.common import ROOT, model_cache

if str(ROOT / "tests") not in sys.path:
    sys.path.insert(0, str(ROOT / "tests"))

from slack_fakes import FakeSlack, slack_env, start_http_serve

__all__ = ["FakeSlack", "index", "seed_workdir", "serve_env", "start_http_serve"]


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
