"""CPU time of each stage inside the warm answer path, per ask, by workload.

    python -m benchmarks.path_stages --size 100k [--queries 200] [--rounds 2]

Opens the synthetic index as `benchmarks.query_latency` does (ONNX embedder, official-list
status on), warms up on one set of questions, then asks `--rounds` sets of fresh ones
(`query_latency.question_sets`) and reports the mean `time.thread_time` per ask spent in each
stage, timed where the path calls it (a wrapper around the call; stages nest, so they do not
add up): a profiler's sampling inflates Python-heavy stages, this does not. "path - embed -
FAISS" is what the path costs beyond its floor's two parts.
"""

from __future__ import annotations

import argparse
import time
from collections import defaultdict

from benchmarks.common import load_average, parse_sizes
from benchmarks.synth import load_embedder

STAGES = {  # (object name, attribute) -> stage
    ("assemble", "key_sentences"): "key sentences",
    ("highlight", "sentence_terms"): "  sentences and terms of a quote, worked out (no table)",
    ("sentences", "of"): "  sentences and terms of a quote, read (store/sentences.py)",
    ("passages", "search_dense"): "FAISS (search_dense)",
    ("written", "names_written"): "names written as asked",
    ("passages", "top_n"): "BM25 top-50 (top_n)",
    ("search", "lexical_scores"): "BM25 scoring",
    ("search", "embed"): "embed",
    ("search", "rows_naming"): "passages naming a name",
    ("lists", "for_names"): "list status",
    ("planner", "plan"): "question reading (plan)",
    ("retriever", "named_parts"): "named parts",
    ("retriever", "only_in_passing"): "only in passing",
    ("retriever_module", "rows_writing"): "term of art looked for (on the way to an abstention)",
    ("retriever_module", "typed_unknown"): "names typed in everyday words, checked in the text",
    ("retriever", "sections_cited"): "sections cited by number, checked in the text",
    ("search", "dense_of"): "cosines of the candidates",
    ("builder", "results"): "results (incl. key sentences)",
    ("briefs", "brief"): "brief (incl. embed, key sentences)",
}


def main() -> None:
    import index.search.assemble as assemble
    import index.search.passages as passages
    import index.search.retriever as retriever_module
    import index.search.written as written
    import index.text.highlight as highlight
    from benchmarks.query_latency import question_sets, workload_of
    from benchmarks.synth import synthetic_index
    from index.config import EngineConfig
    from index.lists.answers import ListStatusProvider
    from index.search.retriever import Retriever
    from index.store.reader import open_index

    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", default="100k")
    parser.add_argument("--queries", type=int, default=200, help="per workload and set")
    parser.add_argument("--rounds", type=int, default=2)
    args = parser.parse_args()
    embedder = load_embedder()
    stored = open_index(synthetic_index(parse_sizes(args.size)[0], embedder), None, mmap=True)
    retriever = Retriever(stored, embedder, lists=ListStatusProvider(EngineConfig.from_env()))
    owners = {
        "assemble": assemble, "highlight": highlight, "passages": passages,
        "search": retriever.search, "lists": retriever.lists, "planner": retriever.planner,
        "retriever": retriever, "builder": retriever.builder, "briefs": retriever.briefs, "retriever_module": retriever_module,
        "written": written,
        "sentences": stored.sentences,
    }  # fmt: skip
    spent: dict[str, float] = defaultdict(float)

    def timer(fn, stage: str):  # type: ignore[no-untyped-def]
        def call(*a, **k):  # type: ignore[no-untyped-def]
            started = time.thread_time()
            try:
                return fn(*a, **k)
            finally:
                spent[stage] += time.thread_time() - started

        return call

    for (owner, name), stage in STAGES.items():
        if owners[owner] is None:  # an index without the sentence table
            continue
        setattr(owners[owner], name, timer(getattr(owners[owner], name), stage))
    sets = question_sets(args.queries, args.rounds)
    for question in sets[0]:
        retriever.ask(question)
    totals: dict[str, dict[str, float]] = defaultdict(lambda: defaultdict(float))
    asks: dict[str, int] = defaultdict(int)
    load_before = load_average()
    for questions in sets[1:]:
        for question in questions:
            workload = workload_of(retriever, question)
            spent.clear()
            started = time.thread_time()
            retriever.ask(question)
            spent["path (Retriever.ask)"] = time.thread_time() - started
            asks[workload] += 1
            for stage, seconds in spent.items():
                totals[workload][stage] += seconds
    print(f"load {load_before[0]:.2f}-{load_average()[0]:.2f}; CPU ms per ask, mean")
    for workload, row in totals.items():
        row["path - embed - FAISS"] = (
            row["path (Retriever.ask)"] - row["embed"] - row["FAISS (search_dense)"]
        )
        print(f"\n{workload} ({asks[workload]} asks)")
        for stage, seconds in sorted(row.items(), key=lambda kv: -kv[1]):
            print(f"  {stage:<52}{seconds / asks[workload] * 1000:8.3f}")


if __name__ == "__main__":
    main()
