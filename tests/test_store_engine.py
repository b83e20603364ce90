"""The engine store (PostgreSQL + pgvector) against a real server on loopback: the same answers
as the local store, incremental updates by article hash, filters on the server, and two
`serve` processes sharing one store.

One server for the module (`index/store/pg_server.py`: the `pgserver` wheel's Postgres, started
in a temp dir on a free port), one database per corpus.
"""

from __future__ import annotations

import json
import shutil
import tempfile
import time
from dataclasses import replace
from datetime import date
from pathlib import Path

import psycopg
import pytest
from conftest import FIXTURES, cli_env, run_cli
from fresh_server import Site, article_html
from slack_fakes import all_text, send_signed, slack_env, slash_body, start_http_serve

from index.config import EngineConfig
from index.engine import build, open_retriever
from index.search.filters import QueryFilters
from index.store.pg_server import create_database, start_server

pytestmark = pytest.mark.slow

NEW_ARTICLE = """---
title: Commerce adds Zorblax Networks to the Entity List
url: https://example.org/zorblax-entity-list
publisher: Trade Wire
published: 2025-03-04
vendors: [Zorblax Networks]
---

The Commerce Department added Zorblax Networks to the Entity List on Tuesday, so US suppliers
now need a licence to ship any component to Zorblax Networks, which makes network switches.
"""


@pytest.fixture(scope="module")
def server():
    # Its own temp dir: the server runs as another user, who must reach it (and other pytest
    # sessions reset the mode of /tmp/pytest-of-USER).
    root = Path(tempfile.mkdtemp(prefix="vc-engine-"))
    server = start_server(root / "data")
    yield server
    server.stop()
    shutil.rmtree(root, ignore_errors=True)


def configs(root: Path, corpus: Path, model_cache: Path, url: str) -> tuple[EngineConfig, ...]:
    local = EngineConfig(
        corpus_dir=corpus,
        index_dir=root / "index",
        data_dir=root / "data",
        model_cache_dir=model_cache,
    )
    return local, replace(local, store=url, store_check_interval=0)


@pytest.fixture(scope="module")
def eval_stores(server, tmp_path_factory, model_cache):
    """The fictional eval corpus, built into each store by `build` (the engine's own path)."""
    root = tmp_path_factory.mktemp("eval")
    corpus = root / "corpus"
    shutil.copytree(FIXTURES / "eval" / "corpus", corpus)
    local, engine = configs(root, corpus, model_cache, create_database(server, "vc_eval"))
    build(local)
    report = build(engine)
    assert report.generation == "engine-v1" and len(report.added) == 26
    return local, engine


@pytest.fixture(scope="module")
def eval_retrievers(eval_stores, embedder):
    local, engine = eval_stores
    return open_retriever(local, embedder), open_retriever(engine, embedder)


def questions(path: Path, split: str | None = None) -> list[str]:
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line]
    return [r["question"] for r in rows if split is None or r.get("split") == split]


def top3(answer) -> list[str]:
    return [r.article.id for r in answer.results][:3]


def compare(local, engine, asked: list[str]) -> tuple[float, list[str]]:
    """Top-3 agreement, and every question whose kind (answer or abstention) differs."""
    assert asked
    same, kinds = 0, []
    for question in asked:
        a, b = local.ask(question, k=5), engine.ask(question, k=5)
        same += top3(a) == top3(b)
        if a.kind != b.kind or bool(a.results) != bool(b.results):
            kinds.append(question)
    return same / len(asked), kinds


def test_eval_fixture_answers_match_the_local_store(eval_retrievers):
    local, engine = eval_retrievers
    assert engine.index.engine is not None and local.index.engine is None
    agreement, kinds = compare(local, engine, questions(FIXTURES / "eval" / "questions.jsonl"))
    assert agreement >= 0.95
    assert kinds == []


def test_the_large_corpus_lexical_path_finds_the_same_candidates(eval_retrievers, monkeypatch):
    """Above `EXACT_LEXICAL` passages the lexical top n starts from each term's highest-impact
    postings; on this corpus they are all of them, so the candidates (top 3 by cosine and by
    BM25) and their scores must be the same as the exact path's."""
    from index.search import pg_search

    _, engine = eval_retrievers
    search, asked = engine.search, questions(FIXTURES / "eval" / "questions.jsonl")
    exact = []
    for question in asked:
        scores = search.score_query(question)
        rows = search.candidates(scores, 3)
        exact.append((rows, scores.lexical[rows], search.dense_of(rows, scores.vector)))
    monkeypatch.setattr(pg_search, "EXACT_LEXICAL", 0)
    assert sum(len(rows) for rows, _, _ in exact) > 3 * len(asked)  # BM25 adds its own
    for question, (rows, bm25, cosines) in zip(asked, exact, strict=True):
        scores = search.score_query(question)
        deep = search.candidates(scores, 3)
        assert deep.tolist() == rows.tolist(), question
        assert scores.lexical[deep] == pytest.approx(bm25, abs=1e-6)
        assert search.dense_of(deep, scores.vector) == pytest.approx(cosines, abs=1e-6)


def test_real_dev_set_answers_match_after_migrate(server, tmp_path_factory, model_cache, embedder):
    """The real corpus indexed locally, copied with `store migrate`, asked in both."""
    root = tmp_path_factory.mktemp("real")
    corpus = FIXTURES / "realeval" / "corpus"
    local, engine = configs(root, corpus, model_cache, create_database(server, "vc_real"))
    build(local)
    done = run_cli(local, "store", "migrate", "--store", engine.store)
    assert done.returncode == 0, done.stderr
    assert "133 articles sent" in done.stdout
    asked = questions(FIXTURES / "realeval" / "questions.jsonl", split="dev")
    assert len(asked) == 85
    agreement, kinds = compare(
        open_retriever(local, embedder), open_retriever(engine, embedder), asked
    )
    assert agreement >= 0.95
    assert kinds == []


def test_same_scores_and_quotes_not_only_the_same_sources(eval_retrievers):
    local, engine = eval_retrievers
    a = local.ask("Is Quillon allowed on the GSA schedule?")
    b = engine.ask("Is Quillon allowed on the GSA schedule?")
    assert a.results and len(a.results) == len(b.results)
    for x, y in zip(a.results, b.results, strict=True):
        assert (x.article.id, x.start, x.end, x.quote) == (y.article.id, y.start, y.end, y.quote)
        assert x.score == pytest.approx(y.score, abs=1e-4)


@pytest.mark.parametrize(
    "question, filters",
    [
        ("zentara since:2021", None),
        ("zentara", QueryFilters(until=date(2020, 12, 31))),
        ("what must federal buyers avoid publisher:procurement", None),
        ("banned vendors vendor:quillon since:2022-01", None),
    ],
)
def test_filters_run_on_the_server_and_agree_with_the_local_store(
    eval_retrievers, question, filters
):
    local, engine = eval_retrievers
    a, b = local.ask(question, filters=filters), engine.ask(question, filters=filters)
    assert a.results, a.message
    assert top3(a) == top3(b)
    assert any(n.startswith("Filtered:") for n in b.notices)
    spec = QueryFilters().merged(filters)
    for result in b.results:
        published = result.article.published  # ISO text
        if "since:2021" in question:
            assert published >= "2021-01-01"
        if spec.until:
            assert published <= spec.until.isoformat()
        if "publisher:" in question:
            assert "procurement" in result.article.publisher.lower()
        if "vendor:quillon" in question:
            assert published >= "2022-01-01"


def test_a_filter_nothing_passes_abstains_in_both(eval_retrievers):
    local, engine = eval_retrievers
    for retriever in (local, engine):
        answer = retriever.ask("quillon publisher:nobody-publishes-this")
        assert answer.results == [] and answer.kind in ("none", "brief")


def test_updates_send_only_what_changed_and_bump_the_version(server, tmp_path, model_cache):
    corpus = tmp_path / "corpus"
    shutil.copytree(FIXTURES / "eval" / "corpus", corpus)
    _, engine = configs(tmp_path, corpus, model_cache, create_database(server, "vc_update"))
    build(engine)
    (corpus / "zorblax-2025-03-04.md").write_text(NEW_ARTICLE, encoding="utf-8")
    removed = sorted(corpus.glob("kestrel-*"))[0]
    removed.unlink()
    report = build(engine)
    assert report.generation == "engine-v2"
    assert any("1 articles sent, 1 removed" in note for note in report.notes), report.notes
    with psycopg.connect(engine.store) as conn:
        ids = {r[0] for r in conn.execute("SELECT id FROM vc_articles")}
        passages = conn.execute("SELECT count(*) FROM vc_passages").fetchone()[0]
        orphans = conn.execute(
            "SELECT count(*) FROM vc_postings WHERE pid NOT IN (SELECT pid FROM vc_passages)"
        ).fetchone()[0]
    assert "zorblax-2025-03-04" in ids and removed.stem not in ids
    assert passages == 26 and orphans == 0
    assert build(engine).generation == "engine-v2"  # nothing changed: no new version


def test_cli_ask_with_filter_flags_and_a_bad_date(eval_stores):
    _, engine = eval_stores
    done = run_cli(
        engine, "ask", "zentara", "--since", "2021", "--publisher", "ledger", "--json",
        VENDORCHECK_STORE=engine.store,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    answer = json.loads(done.stdout)
    assert answer["results"]
    for result in answer["results"]:
        assert result["article"]["published"] >= "2021-01-01"
        assert "ledger" in result["article"]["publisher"].lower()
    bad = run_cli(engine, "ask", "zentara", "--since", "last week", VENDORCHECK_STORE=engine.store)
    assert bad.returncode == 1
    assert bad.stderr.strip().splitlines() == [
        "vendorcheck: error: --since 'last week' is not a date (use YYYY, YYYY-MM or YYYY-MM-DD)"
    ]


def test_unreachable_store_is_one_line(eval_stores):
    local, _ = eval_stores
    done = run_cli(local, "ask", "zentara", VENDORCHECK_STORE="postgresql://nobody@127.0.0.1:1/x")
    assert done.returncode == 1
    lines = done.stderr.strip().splitlines()
    assert len(lines) == 1 and lines[0].startswith("vendorcheck: error: cannot connect to")


ADMIN = "U0ADMIN1"
ARTICLES = {  # path -> (title, text, question): one added through each serve process
    "/news/zorblax.html": (
        "Commerce adds Zorblax Networks to the Entity List",
        "The Commerce Department added Zorblax Networks to the Entity List on Tuesday, so US "
        "suppliers now need a licence to ship any component to Zorblax Networks, which makes "
        "network switches.",
        "is zorblax on the entity list?",
    ),
    "/news/quorvane.html": (
        "Treasury sanctions Quorvane Systems camera maker",
        "The Treasury Department sanctioned Quorvane Systems on Thursday, barring federal "
        "agencies from buying the company's surveillance cameras and video recorders. Agencies "
        "that already run Quorvane cameras were told to disconnect them from federal networks "
        "within ninety days and to report every remaining unit to their security office.",
        "are quorvane cameras sanctioned?",
    ),
}


@pytest.fixture
def site():
    web = Site().start()
    for path, (title, text, _) in ARTICLES.items():
        web.add(path, article_html(title, [text], site_name="Trade Wire", published="2025-03-04"))
    yield web
    web.stop()


def slash_reply(fake, url: str, text: str, user: str = "U0USER1") -> str:
    name = f"r{time.time_ns()}"
    send_signed(url, slash_body(text, fake.response_url(name), user))
    return all_text(fake.wait_for(fake.to_response(name), timeout=120)[0].body)


def test_two_serve_processes_share_the_store_and_see_an_add_made_through_either(
    server, eval_stores, fake, site
):
    """An admin's `/vendorcheck add <url>` in one serve process: the article goes into the
    engine store, and both processes answer with it; then the same through the other one."""
    _, engine = eval_stores
    env = slack_env(
        fake, VENDORCHECK_STORE=engine.store, VENDORCHECK_STORE_CHECK_INTERVAL="0",
        VENDORCHECK_ADMINS=ADMIN, VENDORCHECK_ALLOW_PRIVATE_URLS="1",
    )  # fmt: skip
    processes = [start_http_serve(cli_env(engine, **env), engine.data_dir.parent) for _ in range(2)]
    try:
        urls = [url for _, url in processes]
        for url in urls:
            assert (
                "nothing in the corpus about zorblax" in slash_reply(fake, url, "zorblax").lower()
            )
        for through, (path, (title, _, question)) in zip(urls, ARTICLES.items(), strict=True):
            added = slash_reply(fake, through, f"add <{site.url(path)}>", user=ADMIN)
            assert "Added" in added and title in added, added
            assert "· 0 passages" not in added
            for url in urls:
                assert title in slash_reply(fake, url, question), (url, question)
        # a filter written in the slash command, read by the engine (Slack passes it through)
        filtered = slash_reply(fake, urls[0], "zentara since:2023")
        assert "Filtered: since 2023-01-01" in filtered
        assert "2023-05-10" in filtered and "2020-11-05" not in filtered
    finally:
        for process, _ in processes:
            process.terminate()
            process.communicate(timeout=60)


def test_the_bot_s_other_engine_calls_work_on_the_engine_store(eval_retrievers):
    """The shortcut (`names_in`) and unfurls (`article_at`) go through the same retriever
    that follows the store: they answer as the local store's does."""
    local, engine = eval_retrievers
    message = "Can we renew the Quillon licence? Legal flagged it."
    checks = local.names_in(message)
    assert checks and engine.names_in(message) == checks
    url = local.index.articles[0].url
    assert url and engine.article_at(url) == local.article_at(url) is not None


@pytest.mark.parametrize(
    "words",
    [["Quillon", "GSA"], ["Quillon", "Zentara"], ["Zentara", "modems"], ["Quillon", "nowhere"]],
)
def test_named_together_agrees_with_the_local_store(eval_retrievers, words):
    local, engine = eval_retrievers
    assert engine.search.named_together(words) == local.search.named_together(words)


def test_named_together_finds_pairs_and_misses(eval_retrievers):
    local, _ = eval_retrievers
    pairs = [["Quillon", "GSA"], ["Quillon", "Zentara"], ["Zentara", "modems"]]
    assert {local.search.named_together(p) for p in pairs} == {True, False}
