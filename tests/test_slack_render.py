"""Block Kit rendering: escaping, links, limits, and the states every answer can be in."""

from __future__ import annotations

import json
import re

from hypothesis import given, settings
from hypothesis import strategies as st

from bot.cli.output import render_answer as render_text
from bot.slack.mrkdwn import MAX_SECTION_TEXT, escape, safe_url
from bot.slack.render import (
    MAX_BLOCKS,
    MAX_BUTTON_VALUE,
    ButtonState,
    quote_mrkdwn,
    render_answer,
    render_notice,
)
from index.search.results import Answer, ArticleRef, Result


def ref(url="https://example.com/a", title="Title", publisher="Pub", published="2024-05-06"):
    return ArticleRef("a1", title, url, publisher, published)


def result(quote: str, rank: int = 1, highlights=None, article=None) -> Result:
    return Result(
        rank=rank,
        score=0.71,
        quote=quote,
        article=article or ref(),
        start=0,
        end=len(quote),
        highlights=highlights if highlights is not None else [(0, len(quote))],
    )


def answer(*results: Result, query="q", kind="answer") -> Answer:
    return Answer(query=query, results=list(results), message="1 passage.", kind=kind)


def texts(message: dict) -> list[str]:
    out = [message["text"]]
    for block in message["blocks"]:
        if "text" in block:
            out.append(block["text"]["text"])
        for element in block.get("elements", []):
            out.append(element["text"] if isinstance(element["text"], str) else "")
            out.append(element["text"]["text"] if isinstance(element["text"], dict) else "")
    return out


def check_limits(message: dict) -> None:
    assert 0 < len(message["blocks"]) <= MAX_BLOCKS
    assert message["text"].strip()
    for block in message["blocks"]:
        if "text" in block:
            assert 0 < len(block["text"]["text"]) <= MAX_SECTION_TEXT
        if block["type"] == "context":
            assert 1 <= len(block["elements"]) <= 10
        if block["type"] == "actions":
            for element in block["elements"]:
                assert len(element["value"]) <= MAX_BUTTON_VALUE
                assert len(element["text"]["text"]) <= 75
                json.loads(element["value"])


def test_key_sentence_bold_inside_a_block_quote():
    quote = "First sentence here. The key sentence is this one. Last one."
    text = quote_mrkdwn(quote, [(21, 50)])
    assert text == "> First sentence here. *The key sentence is this one.* Last one."


def test_quote_whitespace_collapsed_and_bold_not_padded():
    quote = "Intro line.\n\n  The key\nsentence.  \nTail."
    start = quote.index("The")
    text = quote_mrkdwn(quote, [(start - 2, quote.index("Tail") - 1)])
    assert text == "> Intro line. *The key sentence.* Tail."


def test_source_line_has_linked_title_publisher_and_date():
    message = render_answer(answer(result("A quote.")), answer_id="x1")
    section = message["blocks"][3]["text"]["text"]
    assert "<https://example.com/a|Title>\nPub · 2024-05-06" in section
    assert "Match score 0.71" in json.dumps(message)


def test_hostile_text_is_inert_everywhere():
    evil = "<!channel> <!here|here> <@U123> <#C1|x> <http://evil|x> & @channel @everyone"
    article = ref(url="https://ok.example/a", title=evil, publisher=evil, published=evil)
    message = render_answer(
        answer(result(evil, article=article), query=evil), answer_id="id", ephemeral=True
    )
    for text in texts(message):
        # only links we made (to the article) may contain '<'; everything else escaped
        stripped = text.replace("<https://ok.example/a|", "")
        assert "<!" not in stripped and "<@" not in stripped and "<#" not in stripped
        assert "<http://evil" not in stripped
        assert not re.search(r"@(channel|here|everyone)\b", text)
        assert not re.search(r"&(?!amp;|lt;|gt;)", text)


def test_links_only_from_http_urls():
    for bad in (
        "javascript:alert(1)",
        "ftp://x/y",
        "data:text/html,x",
        "//evil.com",
        "",
        "http://",
    ):
        assert safe_url(bad) is None
        message = render_answer(answer(result("q", article=ref(url=bad))), answer_id="i")
        assert "<" not in message["blocks"][3]["text"]["text"].split("\n", 1)[1]
    assert safe_url("https://a.example/x?a=1&b=|<>") == "https://a.example/x?a=1&amp;b=%7C%3C%3E"


def test_huge_article_stays_within_limits():
    quote = ("Kaspersky & <partners> said a lot. " * 2000).strip()
    huge = result(quote, highlights=[(0, 30), (35, 60000)], article=ref(title="T" * 5000))
    message = render_answer(
        answer(*[huge] * 40, query="x" * 100_000), answer_id="id", ephemeral=True
    )
    check_limits(message)
    section = message["blocks"][3]["text"]["text"]
    assert section.count("*") % 2 == 0  # bold never left open by the cut
    assert "…" in section


def test_at_most_three_sources_then_more_button():
    results = [result(f"Quote {i}.", rank=i) for i in range(1, 8)]
    message = render_answer(answer(*results), answer_id="id", ephemeral=True)
    quotes = [
        b for b in message["blocks"] if b["type"] == "section" and b["text"]["text"][:2] == "> "
    ]
    assert len(quotes) == 3
    actions = message["blocks"][-1]["elements"]
    more = next(e for e in actions if e["action_id"] == "vc_more")
    assert more["text"]["text"] == "More sources (4)"
    state = ButtonState.decode(more["value"])
    assert (state.answer_id, state.offset, state.query) == ("id", 3, "q")
    page = render_answer(answer(*results), answer_id="id", offset=state.offset)
    assert "Results 4-6 of 7." in json.dumps(page)
    last = render_answer(answer(*results), answer_id="id", offset=6)
    assert all(e["action_id"] != "vc_more" for e in last["blocks"][-1]["elements"])


def test_nothing_found_and_usage_are_never_empty():
    none = Answer(query="zzz", kind="none", message="")
    message = render_answer(none)
    assert "Nothing in the corpus about zzz" in json.dumps(message)
    usage = render_answer(Answer(query="", kind="usage", message="x"))
    assert "/vendorcheck kaspersky" in usage["blocks"][0]["text"]["text"]
    assert render_notice("")["text"]


def test_brief_heading_names_the_vendor():
    brief = Answer(query="kaspersky", results=[result("Q.")], kind="brief", vendors=["Kaspersky"])
    assert (
        render_answer(brief, answer_id="i")["blocks"][0]["text"]["text"]
        == "*Vendor brief: Kaspersky*"
    )


def test_cli_and_slack_render_the_same_answer_object():
    one = answer(result("The key sentence. More."), query="is it allowed?")
    assert "is it allowed?" in render_text(one)
    assert "The key sentence." in render_text(one)
    assert "The key sentence." in json.dumps(render_answer(one, answer_id="i"))


def test_button_state_round_trip_and_limits():
    state = ButtonState("abc", '"\\' * 3000, 3)
    value = state.encode()
    assert len(value) <= MAX_BUTTON_VALUE
    assert ButtonState.decode(value).answer_id == "abc"
    assert ButtonState.decode("not json") == ButtonState("", "", 0)
    assert ButtonState.decode('{"a": 1, "o": "x"}') == ButtonState("", "", 0)


def test_escape():
    assert escape("a & b < c > d") == "a &amp; b &lt; c &gt; d"
    assert escape("\x00\u202eevil") == "evil"


@settings(max_examples=150, deadline=None)
@given(
    quote=st.text(max_size=3000),
    query=st.text(max_size=600),
    title=st.text(max_size=400),
    url=st.text(max_size=300),
    spans=st.lists(st.tuples(st.integers(-5, 3100), st.integers(-5, 3100)), max_size=4),
)
def test_fuzz_render_stays_safe_and_within_limits(quote, query, title, url, spans):
    article = ref(url=url, title=title, publisher=title, published=query[:20])
    message = render_answer(
        answer(result(quote, highlights=spans, article=article), query=query),
        answer_id="id",
        ephemeral=True,
    )
    check_limits(message)
    target = safe_url(url)
    for text in texts(message):
        assert_inert(text, target)


def assert_inert(text: str, allowed_url: str | None) -> None:
    """Only links to the article URL and the block-quote marker may use `<`, `>`; every `&` is
    an entity we wrote."""
    if allowed_url:
        text = re.sub(r"<" + re.escape(allowed_url) + r"\|[^<>]*>", "", text)
    text = re.sub(r"(?m)^> ", "", text)
    assert "<" not in text and ">" not in text
    assert not re.search(r"&(?!amp;|lt;|gt;)", text)


def test_cutting_to_slack_limits_never_splits_an_entity_or_a_link():
    """Found by fuzzing the live app: a query of many '&amp;' made a fallback cut at 3000
    characters land inside '&amp;', leaving a bare '&'."""
    for filler in ("&amp;" * 394, "&" * 4000, "<" * 4000, "a&" * 2000):
        message = render_answer(
            answer(result(filler * 2, article=ref(url="https://ok.example/a")), query=filler),
            answer_id="id",
            ephemeral=True,
        )
        check_limits(message)
        for text in texts(message):
            assert_inert(text, "https://ok.example/a")
        assert_inert(render_notice(filler)["text"], None)
        nothing = Answer(
            query=filler, kind="none", message=f"Nothing in the corpus about {filler}."
        )
        for text in texts(render_answer(nothing, answer_id="id", ephemeral=True)):
            assert_inert(text, None)
