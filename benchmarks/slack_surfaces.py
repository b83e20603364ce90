"""The costs issue 15 adds to the bot's paths: `python -m benchmarks.slack_surfaces`.

On the real-text eval corpus (tests/fixtures/realeval/corpus, 133 articles) plus the bundled
list snapshot, warm, in one process:
- `names_in` (the "Check vendors" shortcut) on a one-line message and on a 2,000-character one;
- `article_at` (link unfurl): the first call (builds the URL table), then per link;
- the evidence export of a 9-quote answer (record + Markdown + JSON), what the Export button
  computes before the upload;
- `DeliveryLog.claim` (durable exactly-once): one SQLite write on the path of every Slack
  request, before the ack; as shipped (WAL, synchronous=NORMAL) and with FULL (an fsync each).
"""

from __future__ import annotations

import argparse
import tempfile
import time
from pathlib import Path

from benchmarks.common import ROOT, model_cache, percentiles, write_json
from bot.runtime.dedupe import DeliveryLog
from index.config import EngineConfig
from index.engine import build, open_retriever
from index.search.evidence import evidence, to_json, to_markdown

CORPUS = ROOT / "tests" / "fixtures" / "realeval" / "corpus"
SHORT = "Can we renew the Kaspersky licence and buy Hikvision cameras?"
LONG = (
    "Purchase request for the new office: 40 Hikvision cameras, a Kaspersky licence renewal, "
    "Huawei switches for the lab and drones from Acme Widgets Inc. Finance approved the budget "
    "on Monday; procurement needs the vendor check before Friday. "
) * 9


def timed(fn, n: int) -> dict[str, float]:
    samples = []
    for _ in range(n):
        start = time.perf_counter()
        fn()
        samples.append(time.perf_counter() - start)
    return percentiles(samples)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("-n", type=int, default=50, help="repetitions per row")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        config = EngineConfig(
            corpus_dir=CORPUS,
            index_dir=root / "index",
            data_dir=root / "data",
            model_cache_dir=model_cache(),
        )
        build(config)
        retriever = open_retriever(config)
        retriever.ask("warm up", k=1)
        url = next(a.url for a in retriever.index.articles if a.url)
        start = time.perf_counter()
        retriever.article_at(url)
        first_link_ms = round((time.perf_counter() - start) * 1000, 3)
        answer = retriever.ask("why was Kaspersky banned from federal agencies?", k=9)
        deliveries = DeliveryLog(root / "data", ttl=3600)
        power_safe = DeliveryLog(root / "data-full", ttl=3600, synchronous="FULL")
        counter = iter(range(10**9))
        rows = {
            "names_in, 1-line message": timed(lambda: retriever.names_in(SHORT), args.n),
            f"names_in, {len(LONG):,}-char message": timed(
                lambda: retriever.names_in(LONG), args.n
            ),
            "article_at, per link (table built)": timed(lambda: retriever.article_at(url), args.n),
            f"evidence export, {len(answer.results)} quotes (.md + .json)": timed(
                lambda: (to_markdown(r := evidence(answer)), to_json(r)), args.n
            ),
            "DeliveryLog.claim (shipped: NORMAL)": timed(
                lambda: deliveries.claim(f"event:E{next(counter)}"), args.n
            ),
            "DeliveryLog.claim (FULL: fsync each)": timed(
                lambda: power_safe.claim(f"event:E{next(counter)}"), args.n
            ),
        }
        deliveries.close()
        power_safe.close()
    print(f"{'what':<44} {'p50 ms':>9} {'p95 ms':>9}")
    for name, stats in rows.items():
        print(f"{name:<44} {stats['p50_ms']:>9.2f} {stats['p95_ms']:>9.2f}")
    print(f"{'article_at, first link (builds URL table)':<44} {first_link_ms:>9.2f}")
    names = [n.name for n in retriever.names_in(LONG)]
    print(f"names found in the long message: {', '.join(names)}")
    write_json(
        "slack_surfaces",
        {"rows": rows, "first_link_ms": first_link_ms, "names": names, "n": args.n},
    )


if __name__ == "__main__":
    main()
