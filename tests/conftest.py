"""Shared fixtures: the real model (ONNX export made once per machine), real indexes in temp dirs."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

os.environ["HF_HUB_OFFLINE"] = "1"
os.environ["TRANSFORMERS_OFFLINE"] = "1"
os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")

REPO = Path(__file__).resolve().parent.parent
FIXTURES = Path(__file__).resolve().parent / "fixtures"
# The ONNX export is deterministic per model; keep it between runs (gitignored).
MODEL_CACHE = Path(
    os.environ.get("VENDORCHECK_TEST_MODEL_CACHE", REPO / ".vendorcheck" / "test-models")
)

from index.config import EngineConfig  # noqa: E402
from index.embed.loader import load_embedder  # noqa: E402


@pytest.fixture(scope="session")
def model_cache() -> Path:
    MODEL_CACHE.mkdir(parents=True, exist_ok=True)
    return MODEL_CACHE


@pytest.fixture(scope="session")
def embedder(model_cache: Path):
    return load_embedder("all-MiniLM-L6-v2", backend="onnx", cache_root=model_cache)


@pytest.fixture(scope="module")
def fake():
    """A fake Slack Web API / response_url (tests/slack_fakes.py), one per test module."""
    from slack_fakes import FakeSlack

    server = FakeSlack().start()
    yield server
    server.stop()


@pytest.fixture
def fixture_corpus(tmp_path: Path) -> Path:
    target = tmp_path / "corpus"
    shutil.copytree(FIXTURES / "corpus", target)
    return target


@pytest.fixture
def config_for(tmp_path: Path, model_cache: Path):
    def make(corpus_dir: Path, index_dir: Path | None = None) -> EngineConfig:
        return EngineConfig(
            corpus_dir=corpus_dir,
            index_dir=index_dir or tmp_path / "index",
            data_dir=tmp_path / "data",
            model_cache_dir=model_cache,
        )

    return make


def cli_env(config: EngineConfig, **extra: str) -> dict[str, str]:
    env = {
        **os.environ,
        "PYTHONPATH": str(REPO),
        "VENDORCHECK_CORPUS_DIR": str(config.corpus_dir),
        "VENDORCHECK_INDEX_DIR": str(config.index_dir),
        "VENDORCHECK_DATA_DIR": str(config.data_dir),
        "VENDORCHECK_MODEL_CACHE": str(config.model_cache_dir),
        "NO_COLOR": "1",
    }
    env.update(extra)
    return env


def run_cli(config: EngineConfig, *args: str, input: str | None = None, **extra: str):
    """Run the real `vendorcheck` CLI in a subprocess; returns CompletedProcess (text)."""
    return subprocess.run(
        [sys.executable, "-m", "bot", *args],
        env=cli_env(config, **extra),
        cwd=config.corpus_dir.parent,
        input=input,
        capture_output=True,
        text=True,
        timeout=300,
    )


SEED_LONG = (
    "The FCC banned the sale of Zentara modems after finding they route traffic through "
    "undisclosed relays, and carriers must replace installed units by the end of the year.\n"
)
SEED_SHORT = "The FCC banned the sale of Zentara modems.\n"


def seed_corpus(root: Path, body: str = SEED_LONG, url: bool = True) -> Path:
    """A one-article corpus under `root` (fictional vendor Zentara) for the freshness tests."""
    corpus = root / "corpus"
    corpus.mkdir()
    link = "url: https://example.com/zentara\n" if url else ""
    (corpus / "seed.md").write_text(
        f"---\ntitle: Zentara modems banned by FCC\n{link}publisher: Example News\n"
        f"published: 2020-11-05\n---\n\n{body}",
        encoding="utf-8",
    )
    return corpus


def root_config(root: Path, corpus: Path, model_cache: Path) -> EngineConfig:
    """Index and state beside `corpus` under `root`."""
    return EngineConfig(
        corpus_dir=corpus,
        index_dir=root / "index",
        data_dir=root / "data",
        model_cache_dir=model_cache,
    )


def modules_loaded_by(code: str, *argv: str) -> list[str]:
    """The modules a fresh interpreter has loaded after running `code` (with `argv`); the
    code's last line must print them: `print(json.dumps(sorted(sys.modules)))`."""
    done = subprocess.run(
        [sys.executable, "-c", code, *argv],
        capture_output=True,
        text=True,
        timeout=120,
        cwd=REPO,
        env={"PYTHONPATH": str(REPO), "PATH": "/usr/bin:/bin", "HF_HUB_OFFLINE": "1"},
    )
    assert done.returncode == 0, done.stderr
    import json

    return json.loads(done.stdout.strip().splitlines()[-1])


def fictional_retriever(root: Path, articles: dict, embedder):
    """A retriever over a small fictional corpus: {file name: (title, published, body)}, each
    written with front matter under `root`/corpus and indexed with the real model."""
    from index.embed.model import model_id_for
    from index.search.retriever import Retriever
    from index.store.builder import build_index
    from index.store.reader import open_index

    model_id = model_id_for("all-MiniLM-L6-v2")
    corpus = root / "corpus"
    corpus.mkdir()
    for name, (title, published, body) in articles.items():
        front = f'---\ntitle: "{title}"\npublished: {published}\npublisher: Test Wire\n---\n\n'
        (corpus / name).write_text(front + body + "\n", encoding="utf-8")
    build_index(corpus, root / "index", model_id, lambda: embedder)
    return Retriever(open_index(root / "index", model_id), embedder)
