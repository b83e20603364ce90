"""Crash safety of the on-disk index: kill -9 at random points of `vendorcheck index`, queries
during a re-index, every state a crash between publish steps can leave, and corrupt files.

The kill delays are random but seeded: the seed is printed (run with `-s` to see it) and can be
replayed with VENDORCHECK_CRASH_SEED=<seed>.
"""

from __future__ import annotations

import json
import os
import random
import shutil
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest
from conftest import REPO, cli_env, run_cli

from bot.cli.main import main as cli_main
from index.embed.model import model_id_for
from index.errors import IndexCorruptError, IndexIncompatibleError, VendorcheckError
from index.search.retriever import Retriever
from index.store.builder import build_index
from index.store.generations import current_generation
from index.store.reader import open_index

MODEL_ID = model_id_for("all-MiniLM-L6-v2")
QUERIES = ["Quillon GSA schedule", "which firmware fixes the Norvel router flaw?", "camera ban"]
KILL_RUNS = 3


def answers(index_dir: Path, embedder, queries: list[str] = QUERIES) -> tuple[str, list[dict]]:
    """(generation name, the reference queries' answers as JSON) from a fresh open; each
    answer without the name of the generation that gave it (`index`), which is the point of
    comparing answers across generations."""
    stored = open_index(index_dir, MODEL_ID)
    retriever = Retriever(stored, embedder)
    found = [retriever.ask(q).to_json() for q in queries]
    assert all(a["index"]["generation"] == stored.generation.name for a in found)
    return stored.generation.name, [{k: v for k, v in a.items() if k != "index"} for a in found]


def write_filler(corpus: Path, version: int, articles: int = 12) -> None:
    """Enough text that embedding it takes a few seconds; `version` changes every article."""
    words = "audit firmware procurement schedule contract breach patch router camera sanction"
    vocab = words.split()
    rng = random.Random(version)
    for i in range(articles):
        paragraphs = [
            " ".join(
                f"Filler {i} paragraph {p} sentence {s} (revision {version}) mentions "
                + " ".join(rng.choice(vocab) for _ in range(12))
                + "."
                for s in range(5)
            )
            for p in range(8)
        ]
        (corpus / f"filler-{i:02d}.md").write_text(
            f"---\ntitle: Filler {i}\npublisher: Filler Desk\npublished: 2020-01-01\n---\n\n"
            + "\n\n".join(paragraphs)
            + "\n"
        )


def start_index(config) -> subprocess.Popen:
    return subprocess.Popen(
        [sys.executable, "-m", "bot", "index"],
        env=cli_env(config),
        cwd=REPO,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )


class QueryLoop:
    """Opens the live index and asks in a loop (as `vendorcheck ask` would), recording what it
    saw, until stopped."""

    def __init__(self, index_dir: Path, embedder) -> None:
        self.index_dir, self.embedder = index_dir, embedder
        self.seen: list[tuple[str, list[dict]]] = []
        self.errors: list[BaseException] = []
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def _run(self) -> None:
        while not self._stop.is_set():
            try:
                self.seen.append(answers(self.index_dir, self.embedder, QUERIES[:1]))
            except BaseException as exc:
                self.errors.append(exc)
            self._stop.wait(0.2)

    def __enter__(self) -> QueryLoop:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join(timeout=60)


def test_kill_9_during_index_at_random_points(fixture_corpus, config_for, embedder, capsys):
    seed = int(os.environ.get("VENDORCHECK_CRASH_SEED") or random.randrange(2**32))
    with capsys.disabled():
        print(f"\n[crash-safety] seed={seed} (replay: VENDORCHECK_CRASH_SEED={seed})")
    rng = random.Random(seed)
    config = config_for(fixture_corpus)
    build_index(fixture_corpus, config.index_dir, MODEL_ID, lambda: embedder)
    reference = dict([answers(config.index_dir, embedder)])
    cli_before = run_cli(config, "ask", "--json", QUERIES[0])
    assert cli_before.returncode == 0, cli_before.stderr

    # A complete re-index with queries running against the index the whole time: every query
    # succeeds and sees exactly the old index's answers or exactly the new one's.
    write_filler(fixture_corpus, version=0)
    old = current_generation(config.index_dir).name
    started = time.monotonic()
    with QueryLoop(config.index_dir, embedder) as loop:
        proc = start_index(config)
        _, stderr = proc.communicate(timeout=300)
        time.sleep(0.3)  # a few more queries against the new generation
    build_seconds = time.monotonic() - started
    with capsys.disabled():
        print(f"[crash-safety] full re-index with queries running: {build_seconds:.1f} s")
    assert proc.returncode == 0, stderr
    new, new_answers = answers(config.index_dir, embedder)
    assert new != old
    reference[new] = new_answers
    assert loop.errors == [], f"seed={seed}: {loop.errors[:3]!r}"
    assert len(loop.seen) >= 5
    assert {gen for gen, _ in loop.seen} <= {old, new}
    for gen, seen in loop.seen:
        assert seen == reference[gen][:1], f"seed={seed}: a query saw a mix of {old} and {new}"

    # Now kill -9 re-indexes at random points: while the model loads, while it embeds, and
    # (one run) while the new generation is being written. Each time, the previous index must
    # open and answer identically.
    version = 1
    write_filler(fixture_corpus, version)
    killed_mid_build = 0
    for run in range(KILL_RUNS + 1):
        live = current_generation(config.index_dir).name
        proc = start_index(config)
        if run == KILL_RUNS:  # the write phase: wait for the temporary generation directory
            where = "writing"
            deadline = time.monotonic() + 120
            while not list(config.index_dir.glob(".gen-*.tmp")) and proc.poll() is None:
                assert time.monotonic() < deadline
                time.sleep(0.002)
            time.sleep(rng.uniform(0, 0.05))
        else:
            where = f"{rng.uniform(0.05, 0.6) * build_seconds:.2f}s"
            time.sleep(float(where[:-1]))
        running = proc.poll() is None
        proc.send_signal(signal.SIGKILL)
        proc.wait()
        after = current_generation(config.index_dir).name
        with capsys.disabled():
            print(f"[crash-safety] run {run}: kill at {where}, build was running: {running}")
        gen, got = answers(config.index_dir, embedder)
        if running and after == live:
            killed_mid_build += 1
            assert got == reference[live], f"seed={seed} run={run} killed at {where}"
        else:  # finished (or published) before the kill: the new index must be whole
            assert after != live and gen == after
            reference[after] = got
            version += 1
            write_filler(fixture_corpus, version)
    assert killed_mid_build >= KILL_RUNS // 2, f"seed={seed}: builds finished before the kill"

    cli_after = run_cli(config, "ask", "--json", QUERIES[0])
    assert cli_after.returncode == 0, cli_after.stderr
    if current_generation(config.index_dir).name == old:
        assert json.loads(cli_after.stdout) == json.loads(cli_before.stdout)

    # And the next `vendorcheck index` completes and cleans up after the killed runs.
    live = current_generation(config.index_dir).name
    finish = run_cli(config, "index")
    assert finish.returncode == 0, finish.stderr
    assert current_generation(config.index_dir).name != live
    assert not list(config.index_dir.glob(".gen-*.tmp"))
    assert not list(config.index_dir.glob(".CURRENT.*.tmp"))
    gen, got = answers(config.index_dir, embedder)
    assert got[0]["results"], "the completed index answers"


def test_crash_between_publish_steps_leaves_the_old_index(fixture_corpus, config_for, embedder):
    """States a kill can leave at the instants around the CURRENT switch, made directly."""
    config = config_for(fixture_corpus)
    index_dir = config.index_dir
    build_index(fixture_corpus, index_dir, MODEL_ID, lambda: embedder)
    live, before = answers(index_dir, embedder)
    # 1. killed while writing: a half-written temporary generation.
    partial = index_dir / ".gen-20990101T000000-abcdef.tmp"
    partial.mkdir()
    (partial / "articles.jsonl").write_text('{"id": "half')
    # 2. killed after the rename, before CURRENT switched: a complete but unpublished one.
    orphan = index_dir / "gen-20990101T000001-abcdef"
    shutil.copytree(index_dir / live, orphan)
    (orphan / "articles.jsonl").write_text("")
    # 3. killed while writing the new CURRENT: its temporary file, half written.
    (index_dir / ".CURRENT.0badf00d.tmp").write_text("gen-2099")
    assert answers(index_dir, embedder) == (live, before)

    (fixture_corpus / "norvel-2023-01-10-router-flaw.md").unlink()
    report = build_index(fixture_corpus, index_dir, MODEL_ID, lambda: embedder)
    assert report.removed == ["norvel-2023-01-10-router-flaw"]
    assert not partial.exists() and not list(index_dir.glob(".CURRENT.*.tmp"))
    gen, _ = answers(index_dir, embedder)
    assert gen == report.generation != live


# --- corrupt state --------------------------------------------------------------------------


def _truncate(path: Path, keep: float = 0.5) -> None:
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])


def _garble(path: Path, at: int = 0, count: int = 64) -> None:
    data = bytearray(path.read_bytes())
    rng = random.Random(path.name)
    for i in range(at, min(at + count, len(data))):
        data[i] = rng.randrange(256)
    path.write_bytes(bytes(data))


def _edit_manifest(**changes: object) -> Callable[[Path], None]:
    def edit(gen: Path) -> None:
        data = json.loads((gen / "manifest.json").read_text())
        data.update(changes)
        (gen / "manifest.json").write_text(json.dumps(data))

    return edit


def _same_size(path: Path, data: bytes) -> None:
    """Replace the content but keep the size, so only a content check can notice."""
    size = path.stat().st_size
    path.write_bytes((data * (size // max(1, len(data)) + 1))[:size])


# (case, how to damage the live generation, the file the message must name)
CORRUPTIONS: list[tuple[str, Callable[[Path], None], str]] = [
    ("faiss truncated", lambda g: _truncate(g / "dense.faiss"), "dense.faiss"),
    ("faiss last bytes cut", lambda g: _truncate(g / "dense.faiss", 0.999), "dense.faiss"),
    ("faiss empty", lambda g: (g / "dense.faiss").write_bytes(b""), "dense.faiss"),
    ("faiss header garbled", lambda g: _garble(g / "dense.faiss", 0, 16), "dense.faiss"),
    ("faiss count garbled", lambda g: _garble(g / "dense.faiss", 8, 8), "dense.faiss"),
    ("faiss missing", lambda g: (g / "dense.faiss").unlink(), "dense.faiss"),
    ("articles garbled", lambda g: _garble(g / "articles.jsonl", 100, 200), "articles.jsonl"),
    ("articles truncated", lambda g: _truncate(g / "articles.jsonl"), "articles.jsonl"),
    (
        "articles not objects",
        lambda g: _same_size(g / "articles.jsonl", b"[1, 2]\n"),
        "articles.jsonl",
    ),
    (
        "articles lines dropped",
        lambda g: _same_size(g / "articles.jsonl", b"\n"),
        "articles.jsonl",
    ),
    ("passages garbled", lambda g: _garble(g / "passages.npy", 0, 64), "passages.npy"),
    ("passages truncated", lambda g: _truncate(g / "passages.npy"), "passages.npy"),
    ("passages rows garbled", lambda g: _garble(g / "passages.npy", 128, 64), "passages.npy"),
    (
        "passages float",
        lambda g: np.save(g / "passages.npy", np.load(g / "passages.npy").astype(np.float64)),
        "passages.npy",
    ),
    (
        "passages out of range",
        lambda g: np.save(g / "passages.npy", np.load(g / "passages.npy") * -1),
        "passages.npy",
    ),
    ("manifest garbled", lambda g: _garble(g / "manifest.json", 10, 50), "manifest.json"),
    ("manifest truncated", lambda g: _truncate(g / "manifest.json"), "manifest.json"),
    ("manifest missing", lambda g: (g / "manifest.json").unlink(), "manifest.json"),
    ("manifest not an object", lambda g: (g / "manifest.json").write_text("[]"), "manifest.json"),
    ("manifest bad dim", _edit_manifest(dim="384"), "manifest.json"),
    ("manifest bad articles", _edit_manifest(articles=[1]), "manifest.json"),
    ("manifest other model", _edit_manifest(model="acme/other-model"), "manifest.json"),
    ("manifest other format", _edit_manifest(format_version=99), "manifest.json"),
    ("lexical garbled", lambda g: _garble(g / "lexical" / "data.csc.index.npy"), "lexical"),
    ("lexical missing", lambda g: shutil.rmtree(g / "lexical"), "lexical"),
    ("CURRENT garbled", lambda g: (g.parent / "CURRENT").write_bytes(b"\xff\xfe\x00"), "CURRENT"),
    ("CURRENT empty", lambda g: (g.parent / "CURRENT").write_text(""), "CURRENT"),
    ("CURRENT escapes", lambda g: (g.parent / "CURRENT").write_text("../../etc\n"), "CURRENT"),
    ("generation deleted", lambda g: shutil.rmtree(g), "CURRENT"),
]
INCOMPATIBLE = {"manifest other model", "manifest other format"}


@pytest.fixture(scope="module")
def built_index(tmp_path_factory, model_cache, embedder) -> tuple[Path, Path]:
    """(corpus, index) built once; each case damages a copy."""
    root = tmp_path_factory.mktemp("corrupt")
    corpus = root / "corpus"
    shutil.copytree(REPO / "tests" / "fixtures" / "corpus", corpus)
    build_index(corpus, root / "index", MODEL_ID, lambda: embedder)
    return corpus, root / "index"


def test_corrupt_index_gives_one_line_naming_the_file_and_the_fix(
    built_index, tmp_path, config_for, embedder, model_cache, monkeypatch, capsys
):
    corpus, pristine = built_index
    _, expected = answers(pristine, embedder)
    damaged = []
    for case, damage, culprit in CORRUPTIONS:
        index_dir = tmp_path / case.replace(" ", "-")
        shutil.copytree(pristine, index_dir)
        damage(current_generation(index_dir))
        damaged.append((case, culprit, index_dir))
        with pytest.raises(VendorcheckError) as err:
            open_index(index_dir, MODEL_ID)
        message = str(err.value)
        kind = IndexIncompatibleError if case in INCOMPATIBLE else IndexCorruptError
        assert isinstance(err.value, kind), f"{case}: {message}"
        assert "\n" not in message and len(message) < 400, f"{case}: {message!r}"
        assert culprit in message, f"{case}: {message!r} does not name {culprit}"
        assert "vendorcheck index --rebuild" in message, f"{case}: {message!r}"

    # The same through the CLI's own entry point (every case) and a real `vendorcheck`
    # process (one case per file): exit 1, one line on stderr, nothing on stdout.
    monkeypatch.setenv("VENDORCHECK_MODEL_CACHE", str(model_cache))
    for case, culprit, index_dir in damaged:
        code = cli_main(["ask", "--index-dir", str(index_dir), QUERIES[0]])
        out, err = capsys.readouterr()
        _check_cli_output(case, culprit, code, out, err)
    one_per_file = {culprit: (case, index_dir) for case, culprit, index_dir in damaged}
    for culprit, (case, index_dir) in one_per_file.items():
        result = run_cli(config_for(corpus, index_dir), "ask", QUERIES[0])
        _check_cli_output(case, culprit, result.returncode, result.stdout, result.stderr)

    # The fix the message gives works (`vendorcheck index --rebuild`), and for corruption a
    # plain `vendorcheck index` rebuilds rather than saying "up to date" over a broken index.
    fixes = [(case, d) for case, d in one_per_file.values()]
    fixes += [(case, d) for case, _, d in damaged if case in INCOMPATIBLE]
    for case, index_dir in fixes:
        rebuild = case in INCOMPATIBLE
        report = build_index(corpus, index_dir, MODEL_ID, lambda: embedder, rebuild=rebuild)
        assert report.wrote_new_generation, case
        assert rebuild or any("rebuilt" in note for note in report.notes), case
        assert answers(index_dir, embedder)[1] == expected, case


def _check_cli_output(case: str, culprit: str, code: int, stdout: str, stderr: str) -> None:
    assert code == 1, f"{case}: exit {code}, {stdout[:200]!r}"
    assert stdout == "", case
    line = stderr.strip()
    assert "\n" not in line and "Traceback" not in line, f"{case}: {stderr!r}"
    assert line.startswith("vendorcheck: error: ") and culprit in line, f"{case}: {line!r}"


def test_model_mismatch_stops_a_plain_index(built_index, tmp_path, embedder):
    """An index from another model is not silently replaced: the user chooses --rebuild or to
    set the model back."""
    corpus, pristine = built_index
    index_dir = tmp_path / "index"
    shutil.copytree(pristine, index_dir)
    _edit_manifest(model="acme/other-model")(current_generation(index_dir))
    with pytest.raises(IndexIncompatibleError, match=r"manifest\.json.*--rebuild"):
        build_index(corpus, index_dir, MODEL_ID, lambda: embedder)


def test_garbled_reused_vectors_are_not_copied_into_the_next_index(built_index, tmp_path, embedder):
    """embeddings.npy is only read by the next build; a garbled one must not be reused."""
    corpus, pristine = built_index
    index_dir = tmp_path / "index"
    shutil.copytree(pristine, index_dir)
    _, expected = answers(index_dir, embedder)
    _garble(current_generation(index_dir) / "embeddings.npy", 200, 800)
    (corpus / "extra.md").write_text(
        "---\ntitle: Extra\npublisher: Desk\npublished: 2024-01-01\n---\n\nVelloria was fined.\n"
    )
    try:
        report = build_index(corpus, index_dir, MODEL_ID, lambda: embedder)
    finally:
        (corpus / "extra.md").unlink()
    assert any("embeddings.npy" in note for note in report.notes)
    assert report.embedded_passages == report.passages  # everything re-embedded
    stored = open_index(index_dir, MODEL_ID)
    vectors = np.load(stored.generation / "embeddings.npy")
    assert np.allclose(np.linalg.norm(vectors, axis=1), 1.0, atol=1e-3)
    build_index(corpus, index_dir, MODEL_ID, lambda: embedder)
    assert answers(index_dir, embedder)[1] == expected
