"""Run in a fresh process by cold_start.py / memory.py: time (or size) each start-up phase.

    python -m benchmarks._probe INDEX_DIR [--queries N] [--serve] [--question TEXT]

Opens the retriever as `vendorcheck ask` does (official-list status on) and answers `--question`
(default: about Kaspersky); the JSON says how many quotes that first answer had. Prints one
JSON line. Times are from interpreter start (not from this module's import), so
"imports" includes Python's own start-up.
"""

from __future__ import annotations

import json
import resource
import sys
import time


def _since_start() -> float:
    # Process start time from /proc, in the same clock as time.time().
    with open("/proc/self/stat") as handle:
        fields = handle.read().rsplit(")", 1)[1].split()
    ticks = int(fields[19])
    import os

    with open("/proc/uptime") as handle:
        uptime = float(handle.read().split()[0])
    started = time.time() - uptime + ticks / os.sysconf("SC_CLK_TCK")
    return time.time() - started


def rss_mb() -> float:
    with open("/proc/self/statm") as handle:
        pages = int(handle.read().split()[1])
    import os

    return pages * os.sysconf("SC_PAGE_SIZE") / 2**20


def main() -> None:
    index_dir = sys.argv[1]
    queries = int(sys.argv[sys.argv.index("--queries") + 1]) if "--queries" in sys.argv else 1
    question = (
        sys.argv[sys.argv.index("--question") + 1]
        if "--question" in sys.argv
        else "is Kaspersky allowed on GSA?"
    )
    phases: dict[str, float] = {"interpreter": _since_start()}
    mem: dict[str, float] = {"interpreter": rss_mb()}

    from pathlib import Path

    from bot.cli.output import render_answer
    from index.config import EngineConfig
    from index.embed.loader import load_embedder
    from index.embed.model import model_id_for
    from index.lists.answers import ListStatusProvider
    from index.search.retriever import Retriever
    from index.store.reader import open_index

    phases["imports"] = _since_start()
    mem["imports"] = rss_mb()
    config = EngineConfig.from_env()
    stored = open_index(Path(index_dir), model_id_for(config.model), mmap=True)
    phases["index_loaded"] = _since_start()
    mem["index_loaded"] = rss_mb()
    embedder = load_embedder(config.model, cache_root=config.model_cache_dir, allow_export=False)
    phases["model_loaded"] = _since_start()
    mem["model_loaded"] = rss_mb()
    retriever = Retriever(stored, embedder, lists=ListStatusProvider(config))
    first = retriever.ask(question)
    render_answer(first)
    phases["first_answer"] = _since_start()
    if "--serve" in sys.argv:
        import slack_bolt  # noqa: F401  what a Slack process imports on top
        import starlette  # noqa: F401
        import uvicorn  # noqa: F401

        phases["slack_imports"] = _since_start()
    if queries > 1:
        from benchmarks.synth import queries as make_queries

        for question in make_queries(queries):
            render_answer(retriever.ask(question))
        phases["after_queries"] = _since_start()
    heavy = sorted(
        m
        for m in ("torch", "sentence_transformers", "sklearn", "transformers", "scipy")
        if m in sys.modules
    )
    print(
        json.dumps(
            {
                "phases_s": {k: round(v, 4) for k, v in phases.items()},
                "rss_mb": {k: round(v, 1) for k, v in mem.items()},
                "rss_end_mb": round(rss_mb(), 1),
                "peak_rss_mb": round(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024, 1),
                "passages": stored.size,
                "first_answer": {"kind": first.kind, "quotes": len(first.results)},
                "dense": stored.manifest.data.get("dense", {}).get("kind"),
                "heavy_modules_loaded": heavy,
            }
        )
    )


if __name__ == "__main__":
    main()
