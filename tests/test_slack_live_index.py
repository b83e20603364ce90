"""The bot picks up a re-index without a restart, and keeps answering from the old generation
when the new one cannot be loaded."""

from __future__ import annotations

from bot.runtime.live_index import LiveRetriever
from index.engine import build, open_retriever

NEW_ARTICLE = """---
title: "Veltrane Added To Entity List"
url: https://news.example.com/veltrane-entity-list
publisher: Trade Wire
published: 2025-03-04
vendors: [Veltrane]
---

The Commerce Department added Veltrane Networks to the Entity List on Tuesday, restricting
exports of US technology to the company.
"""


def test_reindex_is_picked_up_and_a_broken_generation_is_skipped(
    fixture_corpus, config_for, embedder
):
    config = config_for(fixture_corpus)
    build(config)
    live = LiveRetriever(open_retriever(config, embedder), config.index_dir, config.model, 0)
    before = live.index.generation.name
    assert live.check() is False  # nothing new
    assert all("veltrane" not in r.article.id for r in live.ask("Veltrane entity list").results)

    (fixture_corpus / "veltrane-2025-03-04-entity-list.md").write_text(NEW_ARTICLE)
    build(config)
    assert live.check() is True
    assert live.index.generation.name != before
    top = live.ask("was Veltrane added to the Entity List?", k=3).results[0]
    assert top.article.id == "veltrane-2025-03-04-entity-list"

    # a newer generation whose files are broken: logged, skipped, old one keeps answering
    (fixture_corpus / "veltrane-2025-03-04-entity-list.md").write_text(
        NEW_ARTICLE.replace("Tuesday", "Wednesday")
    )
    build(config)
    newest = config.index_dir / (config.index_dir / "CURRENT").read_text().strip()
    serving = live.index.generation.name
    dense = newest / "dense.faiss"
    dense.write_bytes(dense.read_bytes()[:40])
    assert live.check() is False
    assert live.index.generation.name == serving
    assert live.ask("Veltrane entity list").results
