"""How long keeping the corpus fresh takes: add one URL, sync a feed, repeat the sync.

Runs offline against a local website (tests/fresh_server.py) with the real model and index:

    HF_HUB_OFFLINE=1 .venv/bin/python benchmarks/bench_fresh.py [--entries 20] [--json out.json]

Prints a table; with --json also writes the numbers.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import sys
import tempfile
import time
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
sys.path[:0] = [str(REPO), str(REPO / "tests")]
os.environ.setdefault("HF_HUB_OFFLINE", "1")

from fresh_server import Site, article_html, rss  # noqa: E402

from index.config import EngineConfig  # noqa: E402
from index.engine import build, make_embedder  # noqa: E402
from index.ingest.extract import extract_article  # noqa: E402
from index.ingest.fetch import FetchLimits, fetch  # noqa: E402
from index.ingest.refresh import add_urls, sync_feeds  # noqa: E402

PARAGRAPH = (
    "{vendor} is under review after regulators questioned its supply chain and the way its "
    "devices report telemetry to servers abroad, according to people familiar with the matter. "
    "Agencies were told to list every {vendor} product in use and to stop new purchases until "
    "the review ends, while contractors must certify that none is connected to federal networks."
)


def _page(n: int) -> str:
    vendor = f"Vendor{n:03d}"
    return article_html(
        f"{vendor} faces federal review",
        [PARAGRAPH.format(vendor=vendor)] * 6,
        site_name="Bench Daily",
        published="2024-10-01T08:00:00Z",
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--entries", type=int, default=20, help="feed entries to sync")
    parser.add_argument("--json", help="also write the results here")
    args = parser.parse_args()

    site = Site().start()
    limits = FetchLimits(allow_private=True, timeout=10)
    root = Path(tempfile.mkdtemp(prefix="vc-bench-fresh-"))
    corpus = root / "corpus"
    corpus.mkdir()
    for path in (REPO / "corpus").glob("*.md"):
        (corpus / path.name).write_text(path.read_text(encoding="utf-8"), encoding="utf-8")
    cache = Path(os.environ.get("VENDORCHECK_TEST_MODEL_CACHE", REPO / ".vendorcheck" / "models"))
    config = EngineConfig(
        corpus_dir=corpus, index_dir=root / "index", data_dir=root / "data", model_cache_dir=cache
    )
    build(config)
    embedder = make_embedder(config)
    rows: list[tuple[str, float, str]] = []
    try:
        for n in range(args.entries + 1):
            site.add(f"/a/{n}.html", _page(n))
        extract_ms = []
        for n in range(10):
            start = time.perf_counter()
            extract_article(fetch(site.url(f"/a/{n}.html"), limits))
            extract_ms.append((time.perf_counter() - start) * 1000)
        rows.append(
            ("fetch + extract one page (median of 10)", statistics.median(extract_ms), "ms")
        )

        start = time.perf_counter()
        report = add_urls(config, [site.url("/a/0.html")], limits, embedder=embedder)
        rows.append(("add one URL (fetch, extract, save, index)", time.perf_counter() - start, "s"))
        assert report.outcomes[0].status == "added"

        items = [
            {"title": f"Entry {n}", "link": site.url(f"/a/{n}.html"), "date": "Tue, 01 Oct 2024"}
            for n in range(1, args.entries + 1)
        ]
        site.add(
            "/rss.xml", rss("Bench", items), content_type="application/rss+xml", conditional=True
        )
        (corpus / "feeds.yml").write_text(f"feeds:\n  - url: {site.url('/rss.xml')}\n")
        start = time.perf_counter()
        first = sync_feeds(config, limits, embedder=embedder)
        rows.append(
            (f"sync a feed of {args.entries} new entries", time.perf_counter() - start, "s")
        )
        assert len(first.new_articles) == args.entries

        before = len(site.requests)
        start = time.perf_counter()
        second = sync_feeds(config, limits, embedder=embedder)
        rows.append(("repeat sync (nothing new)", (time.perf_counter() - start) * 1000, "ms"))
        rows.append(("  requests made by the repeat sync", len(site.requests) - before, ""))
        rows.append(("  articles added by the repeat sync", len(second.new_articles), ""))
    finally:
        site.stop()

    width = max(len(r[0]) for r in rows)
    print(f"{'measure':<{width}}  {'value':>10}")
    for name, value, unit in rows:
        shown = f"{value:.2f} {unit}" if isinstance(value, float) else f"{value} {unit}"
        print(f"{name:<{width}}  {shown.strip():>10}")
    if args.json:
        Path(args.json).write_text(
            json.dumps([{"measure": n, "value": v, "unit": u} for n, v, u in rows], indent=1)
        )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
