"""What the key-sentence table (`index/store/sentences.py`) adds to writing a generation.

    python -m benchmarks.sentence_table --size 100k [--repeats 3]

Reads the passages of the cached synthetic index of that size (benchmarks/synth.py), then
times, alternating, `SentenceTable.build` (sentencex segmentation + the BM25 terms of each
sentence, what every build now also does for new and changed articles), the same with every
row copied from the index's own table (what a build does for unchanged articles) and
`LexicalIndex.build` (the BM25 index every build already makes) over the same passage texts,
CPU time, `--repeats` times each; prints the median seconds, microseconds per passage and the
files' size.
"""

from __future__ import annotations

import argparse
import statistics
import tempfile
import time
from pathlib import Path

from benchmarks.common import load_average, parse_sizes, print_table, write_json
from benchmarks.synth import load_embedder, synthetic_index


def main() -> None:
    from index.store.lexical import LexicalIndex
    from index.store.reader import open_index
    from index.store.sentences import SentenceTable
    from index.text.chunking import embedding_input

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default="100k")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    n = parse_sizes(args.size)[0]
    stored = open_index(synthetic_index(n, load_embedder()), None, mmap=True)
    quotes = [stored.articles[a].text[s:e] for a, s, e in stored.passages.tolist()]
    titled = [embedding_input(stored.articles[a].title, q) for (a, _, _), q in zip(stored.passages.tolist(), quotes, strict=True)]  # fmt: skip
    previous = stored.sentences or SentenceTable.build(quotes)
    same = list(range(len(quotes)))
    steps = {
        "sentence table (SentenceTable.build)": lambda: SentenceTable.build(quotes),
        "  every row copied from the previous generation (unchanged articles)": lambda: (
            SentenceTable.build(quotes, previous, same)
        ),
        "BM25 index, for scale (LexicalIndex.build)": lambda: LexicalIndex.build(titled),
    }
    seconds: dict[str, list[float]] = {name: [] for name in steps}
    load_before = load_average()
    for _ in range(args.repeats):
        for name, step in steps.items():
            started = time.process_time()
            step()
            seconds[name].append(time.process_time() - started)
    with tempfile.TemporaryDirectory() as tmp:
        SentenceTable.build(quotes).save(Path(tmp) / "sentences")
        size = sum(f.stat().st_size for f in (Path(tmp) / "sentences").iterdir())
    load = f"{load_before[0]:.2f}-{load_average()[0]:.2f}"
    rows = [
        [
            name,
            f"{statistics.median(s):.1f}",
            f"{min(s):.1f}-{max(s):.1f}",
            f"{statistics.median(s) / len(quotes) * 1e6:.0f}",
            load,
        ]
        for name, s in seconds.items()
    ]
    print(f"{len(quotes):,} passages; sentence table files {size / 1e6:.1f} MB")
    print_table(["step", "CPU s (median)", "min-max", "us / passage", "load"], rows)
    write_json(
        "sentence_table",
        {"passages": len(quotes), "bytes": size, "seconds": seconds, "load": load},
    )


if __name__ == "__main__":
    main()
