"""Hostile text through the engine and the terminal renderer: arbitrary unicode, control
characters, lone surrogates, 100 kB and empty queries, and articles carrying escape sequences.
Nothing raises, and no control character reaches the terminal."""

from __future__ import annotations

import json
import shutil
import unicodedata

import pytest
from conftest import FIXTURES, run_cli
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bot.cli.output import BOLD, RESET, render_answer
from index.embed.model import model_id_for
from index.search.results import Answer, ArticleRef, Result
from index.search.retriever import MAX_QUERY_CHARS, Retriever
from index.store.builder import build_index
from index.store.reader import open_index

MODEL_ID = model_id_for("all-MiniLM-L6-v2")
BIDI_CONTROLS = set("\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069")

# Every code point class, surrogates included (they arrive via argv with invalid UTF-8 bytes
# and via JSON "\udcff" escapes).
any_char = st.characters(exclude_categories=())
controls = st.sampled_from(
    [chr(c) for c in [*range(0x20), *range(0x7F, 0xA0)]]
    + sorted(BIDI_CONTROLS)
    + ["\x1b[2J", "\x1b]0;pwned\x07", "\x1b[31m", "\r", "\u2028", "\ud800", "\udcff", "\ufeff"]
)
words = st.sampled_from(["Quillon", "GSA", "Norvel", "router", "firmware", "ban", "is", "the"])
hostile_text = st.one_of(
    st.text(any_char, max_size=300),
    st.lists(st.one_of(words, controls, st.text(any_char, max_size=5)), max_size=40).map(" ".join),
    st.builds(lambda s, n: s * n, st.text(any_char, min_size=1, max_size=8), st.integers(1, 1000)),
    st.sampled_from(["", " ", "\n\t \r", "\x00", "\u3000\u00a0"]),
)


def terminal_safe(output: str, use_ansi: bool) -> None:
    """No control character but newline; in ANSI mode only our own bold on/off sequences."""
    if use_ansi:
        output = output.replace(BOLD, "").replace(RESET, "")
    bad = [
        ch
        for ch in output
        if (unicodedata.category(ch) in ("Cc", "Cs") and ch != "\n") or ch in BIDI_CONTROLS
    ]
    assert not bad, f"control characters reach the terminal: {bad[:5]!r}"


@pytest.fixture(scope="module")
def retriever(tmp_path_factory, embedder):
    root = tmp_path_factory.mktemp("hostile")
    shutil.copytree(FIXTURES / "corpus", root / "corpus")
    build_index(root / "corpus", root / "index", MODEL_ID, lambda: embedder)
    return Retriever(open_index(root / "index", MODEL_ID), embedder)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(query=hostile_text, use_ansi=st.booleans(), k=st.integers(-3, 60))
def test_any_query_answers_and_renders_safely(retriever, query, use_ansi, k):
    answer = retriever.ask(query, k=k)
    json.dumps(answer.to_json(), ensure_ascii=False).encode("utf-8")  # serialisable, no surrogates
    terminal_safe(render_answer(answer, use_ansi=use_ansi), use_ansi)
    assert len(answer.query) <= MAX_QUERY_CHARS
    if not query.strip() or not answer.query:
        assert answer.kind == "usage" and answer.message and not answer.results
    else:
        assert answer.kind in ("answer", "brief", "none") and answer.message
    assert len(answer.results) <= 50


def test_a_100_kb_query_is_cut_with_a_note(retriever):
    query = "Is Quillon allowed on the GSA schedule? " * 2600  # ~104 kB
    answer = retriever.ask(query)
    assert len(answer.query) <= MAX_QUERY_CHARS
    assert any("first" in note and "characters" in note for note in answer.notices)
    assert answer.results and "Quillon" in answer.results[0].article.title
    assert "Note: " in render_answer(answer)


refs = st.builds(
    ArticleRef,
    id=st.text(any_char, max_size=20),
    title=hostile_text,
    url=hostile_text,
    publisher=hostile_text,
    published=hostile_text,
)


@st.composite
def hostile_answers(draw) -> Answer:
    results = []
    for rank in range(1, draw(st.integers(0, 4)) + 1):
        quote = draw(hostile_text)
        spans = draw(
            st.lists(st.tuples(st.integers(-5, len(quote) + 5), st.integers(-5, len(quote) + 5)))
        )
        results.append(
            Result(
                rank=rank,
                score=draw(st.floats(allow_nan=True, allow_infinity=True)),
                quote=quote,
                article=draw(refs),
                start=0,
                end=len(quote),
                highlights=spans,
                also_in=draw(st.lists(refs, max_size=2)),
                superseded_by=draw(st.none() | refs),
            )
        )
    return Answer(
        query=draw(hostile_text),
        results=results,
        message=draw(hostile_text),
        notices=draw(st.lists(hostile_text, max_size=2)),
    )


@settings(max_examples=150, deadline=None)
@given(answer=hostile_answers(), use_ansi=st.booleans())
def test_renderer_strips_control_characters_from_corpus_text(answer, use_ansi):
    terminal_safe(render_answer(answer, use_ansi=use_ansi), use_ansi)


def test_cli_end_to_end_with_a_hostile_article_and_hostile_queries(tmp_path, config_for):
    corpus = tmp_path / "corpus"
    corpus.mkdir()
    (corpus / "evil.md").write_text(
        '---\ntitle: "Quillon \\e]0;pwned\\a GSA \\e[2J news"\npublisher: "Desk\\r\\e[31m"\n'
        'published: 2024-01-01\nurl: "https://example.com/\\e[8mhidden"\n---\n\n'
        "Quillon Security was removed from the GSA schedule \x1b[2J\x1b]0;owned\x07 after the "
        "review.\u202e This sentence is reversed.\r Carriage return tricks.\n"
    )
    config = config_for(corpus)
    assert run_cli(config, "index").returncode == 0
    batch = tmp_path / "questions.txt"
    batch.write_bytes(
        b"Quillon GSA \xff\xfe invalid utf-8\n\x1b[31mred Quillon\x00\n   \n"
        + b"Quillon GSA schedule " * 5000
        + b"\n"
    )
    for args in (
        ["ask", "Quillon GSA \udcff\x1b[2J"],  # argv with an invalid UTF-8 byte
        ["ask", "Quillon " * 12_000],  # ~96 kB, one argv word-list
        ["ask", "--batch", str(batch)],
        ["ask", "--json", "--batch", str(batch)],
    ):
        result = run_cli(config, *args)
        assert result.returncode == 0, (args[:2], result.stderr[-500:])
        assert "Traceback" not in result.stderr
        if "--json" in args:
            lines = [json.loads(line) for line in result.stdout.splitlines()]
            assert len(lines) == 3 and all(line["results"] for line in lines)
        else:
            terminal_safe(result.stdout, use_ansi=False)
            assert "removed from the GSA schedule" in result.stdout
    empty = run_cli(config, "ask", " \t ")
    assert empty.returncode == 2 and "usage" in empty.stderr
