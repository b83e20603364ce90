"""Experiment, not shipped: would a vector per sentence help the ranking on real text?

    python -m benchmarks.sentence_vectors [--weights 0 0.2 0.3 0.4 0.5 0.6] [--plain]

Builds the real evaluation corpus (tests/fixtures/realeval) once, embeds every sentence of
every passage (the title prepended as context, as passages are; `--plain`: the sentence
alone), and answers the labelled questions with the passage cosine replaced by
`(1 - w) * cosine + w * max(cosine, best sentence cosine)`, everything else as shipped
(fitted constants, naming bonus, evidence threshold on the passage cosine). Prints hit@1,
hit@3 and MRR@10 per weight for dev and for the held-out test half, and which dev questions
moved. `w` would be chosen on dev; the test half is printed to report, not to choose.

What shipping it would cost is not measured here: about three sentences per passage to embed
at build time and to store beside the passage vectors (the engine store too), and a gather of
the candidates' sentence vectors per answer.
"""

from __future__ import annotations

import argparse
import os
import tempfile
from pathlib import Path

import numpy as np

from benchmarks.fit_ranking import REALEVAL, REPO
from bot.cli.evaluate import DEPTH, first_hit, load_questions
from index.embed.loader import load_embedder
from index.embed.model import model_id_for
from index.search import passages
from index.search.retriever import Retriever
from index.store.builder import build_index
from index.store.reader import open_index
from index.text.chunking import embedding_input, sentences


def sentence_table(stored, embedder, plain: bool) -> tuple[np.ndarray, np.ndarray]:  # type: ignore[no-untyped-def]
    """Per passage row the [start, end) of its sentences in the returned vectors."""
    texts: list[str] = []
    counts: list[int] = []
    for article_idx, start, end in stored.passages.tolist():
        article = stored.articles[article_idx]
        text = article.text[start:end]
        spans = sentences(text)
        counts.append(len(spans))
        for span in spans:
            sentence = text[span.start : span.end]
            texts.append(sentence if plain else embedding_input(article.title, sentence))
    vectors = np.asarray(embedder.embed(texts), dtype=np.float32)
    return np.concatenate([[0], np.cumsum(counts)]).astype(np.int64), vectors


def with_sentences(starts: np.ndarray, vectors: np.ndarray, weight: list[float]):  # type: ignore[no-untyped-def]
    original = passages.PassageSearch.dense_of

    def dense_of(self, rows: np.ndarray, vector: np.ndarray) -> np.ndarray:  # type: ignore[no-untyped-def]
        cosine = original(self, rows, vector)
        if weight[0] == 0 or len(rows) == 0:
            return cosine
        sims = vectors @ vector
        best = np.array(
            [sims[starts[r] : starts[r + 1]].max(initial=-1.0) for r in rows.tolist()],
            dtype=np.float32,
        )
        return ((1 - weight[0]) * cosine + weight[0] * np.maximum(best, cosine)).astype(np.float32)

    return dense_of


def ranks(retriever: Retriever, questions) -> dict[str, int | str | None]:  # type: ignore[no-untyped-def]
    out: dict[str, int | str | None] = {}
    for q in questions:
        answer = retriever.ask(q.question, k=DEPTH).to_json()
        if q.expect_none:
            out[q.question] = "abstained" if not answer["results"] else "ANSWERED"
        else:
            out[q.question] = first_hit(answer, q.expected)
    return out


def figures(found: dict, questions) -> str:  # type: ignore[no-untyped-def]
    answerable = [found[q.question] for q in questions if not q.expect_none]
    n = len(answerable)
    hit1 = sum(r == 1 for r in answerable) / n
    hit3 = sum(isinstance(r, int) and r <= 3 for r in answerable) / n
    mrr = sum(1 / r for r in answerable if isinstance(r, int)) / n
    wrong = sum(found[q.question] == "ANSWERED" for q in questions if q.expect_none)
    return f"{hit1:.3f} / {hit3:.3f} / {mrr:.3f} (no-coverage answered: {wrong})"


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", type=float, nargs="+", default=[0, 0.2, 0.3, 0.4, 0.5, 0.6])
    parser.add_argument("--plain", action="store_true", help="sentences without the title")
    args = parser.parse_args()
    cache = Path(os.environ.get("VENDORCHECK_TEST_MODEL_CACHE", str(REPO / ".vendorcheck/models")))
    embedder = load_embedder("all-MiniLM-L6-v2", backend="onnx", cache_root=cache)
    questions = load_questions(REALEVAL / "questions.jsonl")
    parts = {s: [q for q in questions if q.split == s] for s in ("dev", "test")}
    with tempfile.TemporaryDirectory() as tmp:
        index_dir = Path(tmp) / "index"
        build_index(
            REALEVAL / "corpus", index_dir, model_id_for("all-MiniLM-L6-v2"), lambda: embedder
        )
        stored = open_index(index_dir, None)
        starts, vectors = sentence_table(stored, embedder, args.plain)
        print(f"{len(stored.passages)} passages, {len(vectors)} sentences")
        weight = [0.0]
        passages.PassageSearch.dense_of = with_sentences(starts, vectors, weight)
        retriever = Retriever(stored, embedder)
        base: dict = {}
        print("weight | dev hit@1 / hit@3 / MRR | test hit@1 / hit@3 / MRR")
        for w in args.weights:
            weight[0] = w
            found = {s: ranks(retriever, qs) for s, qs in parts.items()}
            base = base or found
            print(f"{w:.2f} | {figures(found['dev'], parts['dev'])} | "
                  f"{figures(found['test'], parts['test'])}")  # fmt: skip
            for q, r in found["dev"].items():
                if r != base["dev"][q]:
                    print(f"    dev {base['dev'][q]} -> {r}  {q}")


if __name__ == "__main__":
    main()
