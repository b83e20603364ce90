"""Synthetic corpora and indexes for the speed benchmarks.

How the passages are made
-------------------------
* **Text**: sentences of 8-24 words drawn from a fixed 30,000-word vocabulary with a Zipf
  distribution (s = 1.07), the way word frequencies fall off in real text. The ~350 most
  frequent ranks are real English (function words first, then vendor-risk words such as
  "federal", "schedule", "breach"); the long tail is pronounceable pseudo-words, so BM25 sees
  realistic postings: a few huge lists, a long tail of short ones. Each article is about one of
  5,000 synthetic vendors ("Vornexa Networks"), named in its title and in most of its
  paragraphs, so a vendor query matches tens of passages, as in a real corpus.
* **Vectors** (query benchmarks only, where embedding 1M passages would take half a day on
  this box): the first `BASE` passages are embedded for real with the ONNX model; passage `i`
  gets `normalize(base[i % BASE] + noise)`, the noise isotropic with norm 0.75 (cosine to its
  base ~0.8). That keeps the real embedding geometry (clusters where real passages are) while
  every vector is distinct; isotropic noise makes neighbours *harder* to find than in real
  data, so the ANN recall figures are conservative. Queries are embedded for real.

Everything is seeded: the same size gives the same corpus, and the built indexes are cached
under `benchmarks/out/cache/` (delete it to rebuild).
"""

from __future__ import annotations

import hashlib
import json
import shutil
import time
from datetime import date, timedelta
from pathlib import Path

import numpy as np

from benchmarks.common import CACHE, model_cache

BASE = 512
NOISE = 0.75
VOCAB = 30_000
VENDORS = 5_000
ZIPF_S = 1.07

_FUNCTION = [
    "the",
    "of",
    "and",
    "to",
    "a",
    "in",
    "that",
    "is",
    "was",
    "he",
    "for",
    "it",
    "with",
    "as",
    "his",
    "on",
    "be",
    "at",
    "by",
    "i",
    "this",
    "had",
    "not",
    "are",
    "but",
    "from",
    "or",
    "have",
    "an",
    "they",
    "which",
    "one",
    "you",
    "were",
    "her",
    "all",
    "she",
    "there",
    "would",
    "their",
    "we",
    "him",
    "been",
    "has",
    "when",
    "who",
    "will",
    "more",
    "no",
    "if",
    "out",
    "so",
    "said",
    "what",
    "up",
    "its",
    "about",
    "into",
    "than",
    "them",
    "can",
    "only",
    "other",
    "new",
    "some",
    "could",
    "time",
    "these",
    "two",
    "may",
    "then",
    "do",
    "first",
    "any",
    "my",
    "now",
    "such",
    "like",
    "our",
    "over",
    "man",
    "me",
    "even",
    "most",
    "made",
    "after",
    "also",
    "did",
    "many",
    "before",
    "must",
    "through",
    "back",
    "years",
    "where",
    "much",
    "your",
    "way",
    "well",
    "down",
    "should",
    "because",
    "each",
    "just",
    "those",
    "people",
    "how",
    "too",
    "little",
    "state",
    "good",
    "very",
    "make",
    "world",
    "still",
    "own",
    "see",
    "men",
    "work",
    "long",
    "get",
    "here",
    "between",
    "both",
    "life",
    "being",
    "under",
    "never",
    "day",
    "same",
    "another",
    "know",
    "while",
    "last",
    "might",
    "us",
    "great",
    "old",
    "year",
    "off",
    "come",
    "since",
    "against",
    "go",
    "came",
    "right",
    "used",
    "take",
    "three",
]
_DOMAIN = [
    "vendor",
    "vendors",
    "federal",
    "government",
    "agency",
    "agencies",
    "security",
    "software",
    "contract",
    "contracts",
    "schedule",
    "gsa",
    "ban",
    "banned",
    "banning",
    "allowed",
    "approved",
    "removed",
    "removal",
    "supplier",
    "suppliers",
    "risk",
    "risks",
    "procurement",
    "compliance",
    "breach",
    "breaches",
    "data",
    "customer",
    "customers",
    "network",
    "networks",
    "router",
    "routers",
    "camera",
    "cameras",
    "firmware",
    "vulnerability",
    "vulnerabilities",
    "patch",
    "patched",
    "exploit",
    "attack",
    "attackers",
    "intelligence",
    "report",
    "reports",
    "officials",
    "department",
    "defense",
    "homeland",
    "directive",
    "order",
    "orders",
    "rule",
    "rules",
    "congress",
    "senate",
    "law",
    "legislation",
    "sanctions",
    "export",
    "license",
    "licenses",
    "telecom",
    "equipment",
    "cloud",
    "services",
    "antivirus",
    "products",
    "product",
    "market",
    "sales",
    "company",
    "companies",
    "chinese",
    "russian",
    "foreign",
    "investigation",
    "investigators",
    "audit",
    "audits",
    "certificate",
    "encryption",
    "backdoor",
    "espionage",
    "ransomware",
    "incident",
    "incidents",
    "disclosure",
    "disclosed",
    "statement",
    "spokesperson",
    "executive",
    "ceo",
    "board",
    "fine",
    "fined",
    "penalty",
    "settlement",
    "lawsuit",
    "court",
    "ruling",
    "appeal",
    "list",
    "entity",
    "entities",
    "commerce",
    "treasury",
    "fcc",
    "dhs",
    "cisa",
    "nist",
    "ndaa",
    "section",
    "889",
    "executive",
    "order",
    "supply",
    "chain",
    "hardware",
    "chips",
    "semiconductor",
    "devices",
    "surveillance",
    "video",
    "storage",
    "backups",
    "region",
    "privacy",
    "regulators",
    "regulator",
    "europe",
    "eu",
    "uk",
    "australia",
    "canada",
    "japan",
    "india",
    "taiwan",
    "critical",
    "infrastructure",
    "energy",
    "grid",
    "utilities",
    "hospital",
    "health",
    "bank",
    "banks",
    "financial",
    "payment",
    "payments",
    "identity",
    "access",
    "credentials",
    "passwords",
    "phishing",
    "malware",
    "botnet",
    "zero",
    "day",
    "advisory",
    "advisories",
    "mitigation",
    "remediation",
    "update",
    "updates",
    "version",
    "versions",
    "release",
]
_SUFFIXES = ["Networks", "Labs", "Systems", "Cloud", "Security", "Technologies", "Telecom", "Soft"]
_ONSETS = [
    "b",
    "br",
    "c",
    "ch",
    "d",
    "dr",
    "f",
    "g",
    "gr",
    "h",
    "j",
    "k",
    "kl",
    "l",
    "m",
    "n",
    "p",
    "pl",
    "r",
    "s",
    "st",
    "t",
    "tr",
    "v",
    "w",
    "z",
]
_VOWELS = ["a", "e", "i", "o", "u", "ai", "ea", "io", "ou"]
_CODAS = ["", "", "n", "r", "s", "x", "l", "nd", "rk", "st"]


def _pseudo_words(rng: np.random.Generator, n: int, exclude: set[str]) -> list[str]:
    words: list[str] = []
    seen = set(exclude)
    while len(words) < n:
        syllables = rng.integers(2, 4)
        word = "".join(
            _ONSETS[rng.integers(len(_ONSETS))]
            + _VOWELS[rng.integers(len(_VOWELS))]
            + _CODAS[rng.integers(len(_CODAS))]
            for _ in range(syllables)
        )
        if word not in seen:
            seen.add(word)
            words.append(word)
    return words


class TextModel:
    """Seeded vocabulary, vendor names and Zipf sampler."""

    def __init__(self, seed: int = 7) -> None:
        rng = np.random.default_rng(seed)
        head = list(dict.fromkeys(_FUNCTION + _DOMAIN))
        self.words = np.array(head + _pseudo_words(rng, VOCAB - len(head), set(head)))
        ranks = np.arange(1, len(self.words) + 1, dtype=np.float64)
        weights = 1.0 / (ranks + 2.7) ** ZIPF_S
        self.cdf = np.cumsum(weights / weights.sum())
        names = _pseudo_words(rng, VENDORS, set(self.words.tolist()))
        self.vendors = [
            f"{name.capitalize()} {_SUFFIXES[i % len(_SUFFIXES)]}" for i, name in enumerate(names)
        ]
        self.domain = _DOMAIN

    def sample_words(self, rng: np.random.Generator, n: int) -> np.ndarray:
        return self.words[np.searchsorted(self.cdf, rng.random(n))]

    def paragraph(self, rng: np.random.Generator, vendor: str, n_words: int) -> str:
        words = self.sample_words(rng, n_words).tolist()
        if rng.random() < 0.8:  # most paragraphs name the vendor
            words.insert(int(rng.integers(len(words))), vendor)
        sentences, cursor = [], 0
        while cursor < len(words):
            length = int(rng.integers(8, 25))
            chunk = words[cursor : cursor + length]
            cursor += length
            sentences.append(chunk[0][:1].upper() + " ".join(chunk)[1:] + ".")
        return " ".join(sentences)


def generate_articles(n_passages: int, seed: int = 11, words: tuple[int, int] = (80, 110)):
    """Yield (article dict, [paragraph texts]) until `n_passages` paragraphs were made."""
    model = TextModel()
    rng = np.random.default_rng(seed)
    made, number = 0, 0
    start = date(2015, 1, 1)
    while made < n_passages:
        vendor = model.vendors[number % len(model.vendors)]
        count = min(int(rng.integers(2, 7)), n_passages - made)
        paras = [model.paragraph(rng, vendor, int(rng.integers(*words))) for _ in range(count)]
        topic = " ".join(model.domain[int(i)] for i in rng.integers(0, 80, 3))
        article = {
            "id": f"synth-{number:07d}",
            "title": f"{vendor}: {topic}",
            "publisher": ["Wire", "Ledger", "Gazette", "Herald"][number % 4],
            "published": (start + timedelta(days=int(number % 3650))).isoformat(),
            "url": f"https://example.com/news/{number}",
        }
        yield article, paras
        made += count
        number += 1


def queries(n: int, seed: int = 5) -> list[str]:
    """Vendor-risk questions about vendors that exist in every corpus size (the first 200)."""
    model = TextModel()
    rng = np.random.default_rng(seed)
    templates = [
        "is {v} allowed on GSA?",
        "{v}",
        "did {v} have a data breach?",
        "{v} {d} {e}",
        "why was {v} banned by federal agencies",
        "{v} firmware vulnerability patch",
        "{d} {e} rules for {v}",
    ]
    out = []
    for i in range(n):
        vendor = model.vendors[int(rng.integers(0, 200))]
        d, e = (model.domain[int(j)] for j in rng.integers(0, len(model.domain), 2))
        out.append(templates[i % len(templates)].format(v=vendor, d=d, e=e))
    return out


def topic_queries(n: int, seed: int = 6) -> list[str]:
    """Vendor-risk questions that name no vendor (lower case, domain words only): the
    retriever answers them by corpus-wide search (FAISS top-50 + BM25 top-50)."""
    model = TextModel()
    rng = np.random.default_rng(seed)
    templates = [
        "which {d} {e} were banned by federal agencies",
        "{d} {e} {f}",
        "did any vendor have a {d} breach",
        "rules for {d} {e} on the gsa schedule",
        "why was {d} {e} removed from the approved list",
        "{d} firmware vulnerability patch",
        "what did the department say about {d} {e}",
    ]
    out = []
    for i in range(n):
        d, e, f = (model.domain[int(j)] for j in rng.integers(0, len(model.domain), 3))
        out.append(templates[i % len(templates)].format(d=d, e=e, f=f))
    return out


def base_vectors(embedder) -> np.ndarray:  # type: ignore[no-untyped-def]
    """Real embeddings of the first BASE synthetic passages (cached)."""
    path = CACHE / f"base-{BASE}.npy"
    if path.exists():
        return np.load(path)
    texts = []
    for article, paras in generate_articles(BASE):
        texts.extend(f"{article['title']}\n\n{p}" for p in paras)
    vectors = embedder.embed(texts[:BASE], batch_size=32)
    CACHE.mkdir(parents=True, exist_ok=True)
    np.save(path, vectors)
    return vectors


def synthetic_vectors(base: np.ndarray, n: int, seed: int = 3) -> np.ndarray:
    rng = np.random.default_rng(seed)
    out = np.empty((n, base.shape[1]), dtype=np.float32)
    step = 100_000
    for begin in range(0, n, step):
        end = min(n, begin + step)
        noise = rng.standard_normal((end - begin, base.shape[1])).astype(np.float32)
        noise *= NOISE / np.sqrt(base.shape[1])
        block = base[np.arange(begin, end) % len(base)] + noise
        block /= np.linalg.norm(block, axis=1, keepdims=True)
        out[begin:end] = block
    return out


def load_embedder():  # type: ignore[no-untyped-def]
    from index.embed.loader import load_embedder as load

    return load("all-MiniLM-L6-v2", backend="onnx", cache_root=model_cache())


def synthetic_index(n: int, embedder=None, log=print) -> Path:  # type: ignore[no-untyped-def]
    """An index dir with `n` synthetic passages (real on-disk format), built once and cached."""
    from index.articles import Article
    from index.embed.model import model_id_for
    from index.store.generations import (
        CURRENT,
        current_generation,
        new_generation_dir,
        publish_generation,
    )
    from index.store.writer import write_generation, write_vendor_data
    from index.vendors.aliases import alias_file_text, read_alias_file
    from index.vendors.extract import DATA_VERSION

    index_dir = CACHE / f"index-{n}"
    if (index_dir / CURRENT).exists() and current_generation(index_dir) is not None:
        return index_dir
    shutil.rmtree(index_dir, ignore_errors=True)
    index_dir.mkdir(parents=True)
    started = time.perf_counter()
    articles: list[Article] = []
    rows: list[tuple[int, int, int]] = []
    meta: dict[str, dict] = {}
    for record, paras in generate_articles(n):
        text, spans, cursor = "", [], 0
        for para in paras:
            if text:
                text += "\n\n"
                cursor += 2
            spans.append((cursor, cursor + len(para)))
            text += para
            cursor += len(para)
        article = Article(
            id=record["id"],
            title=record["title"],
            text=text,
            url=record["url"],
            publisher=record["publisher"],
            published=date.fromisoformat(record["published"]),
        )
        meta[article.id] = {
            "hash": article.content_hash(),
            "first_passage": len(rows),
            "passages": len(spans),
        }
        rows.extend((len(articles), s, e) for s, e in spans)
        articles.append(article)
    base = base_vectors(embedder or load_embedder())
    vectors = synthetic_vectors(base, len(rows))
    log(f"  generated {len(rows):,} passages in {time.perf_counter() - started:.1f} s; indexing")
    tmp = new_generation_dir(index_dir)
    write_generation(tmp, articles, rows, vectors, model_id_for("all-MiniLM-L6-v2"), meta)
    # vendor data + near-duplicates, as built
    aliases_hash = hashlib.sha256(f"{DATA_VERSION}\n{alias_file_text(None)}".encode()).hexdigest()
    write_vendor_data(tmp, articles, rows, vectors, read_alias_file(None), aliases_hash)
    publish_generation(index_dir, tmp)
    log(f"  built synthetic index of {n:,} passages in {time.perf_counter() - started:.1f} s")
    return index_dir


def write_corpus_files(
    directory: Path, n_articles: int, seed: int = 11, words: tuple[int, int] = (80, 110)
) -> int:
    """`n_articles` Markdown files with front matter (for build and no-op re-index runs)."""
    directory.mkdir(parents=True, exist_ok=True)
    count = 0
    for record, paras in generate_articles(10**12, seed=seed, words=words):
        if count >= n_articles:
            break
        front = json.dumps(record["title"])
        body = "\n\n".join(paras)
        (directory / f"{record['id']}.md").write_text(
            f"---\ntitle: {front}\nurl: {record['url']}\npublisher: {record['publisher']}\n"
            f"published: {record['published']}\n---\n\n{body}\n",
            encoding="utf-8",
        )
        count += 1
    return count
