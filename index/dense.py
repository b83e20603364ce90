"""The FAISS side of the index: which index type for how many vectors, build, save, load.

Vectors are normalized, so inner product is cosine similarity.

Choice by size (numbers from `benchmarks/`, 2 shared vCPUs, 384-d):

* **flat** (exact) up to `FLAT_MAX_PASSAGES`: one query scans every vector, ~0.5 ms at 10k
  single-threaded, growing linearly (~8 ms at 100k), so beyond ~25k it eats the latency budget.
* **ivf_flat** above that, while the raw vectors fit `MEMORY_BUDGET_BYTES`: an inverted file
  with ~4*sqrt(n) lists; a query scans `nprobe` lists (~0.3 ms at 100k). Builds in seconds
  (k-means on a sample), unlike HNSW, which on this box took 15 s at 100k and reached only 0.85
  recall@10 at efSearch 256 on the benchmark vectors, where IVF reached 0.99 at nprobe 32.
* **ivf_sq8** beyond the memory budget: the same inverted file with 8-bit scalar-quantized
  vectors (dim bytes per vector instead of 4*dim: 10M x 384 = 3.9 GB). Product quantization
  (IVF-PQ48 + an 8-bit re-rank) was tried and rejected on this box: 364 s to build at 100k and
  recall@10 0.84 on real questions, against 8 s and 0.98 for SQ8 (benchmarks/RESULTS.md).

For the approximate kinds, recall@10 against exact search is *measured at build time* on
pseudo-queries (stored vectors plus noise); `nprobe` is raised until it reaches
`RECALL_TARGET`. The choice, its parameters and the measured recall go into the manifest.

Queries search one vector at a time. FAISS parallelises a single query over OpenMP threads,
which on a 2-core box shared with other work is 10-50x *slower* than one thread (spinning
threads fight for cores), so loaded indexes search single-threaded; builds use every core.
"""

from __future__ import annotations

import contextlib
import math
import os
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import faiss
import numpy as np

# Up to this many passages an exact (flat) search is fast enough (measured: benchmarks/).
FLAT_MAX_PASSAGES = 25_000
# Above this much raw float32 vector data, compress with product quantization.
MEMORY_BUDGET_BYTES = 4 * 2**30
RECALL_TARGET = 0.98
RECALL_QUERIES = 200
NPROBE_STEPS = (8, 16, 32, 48, 64, 96, 128, 192, 256, 384, 512)
_PSEUDO_QUERY_NOISE = 1.0


@dataclass
class DenseSpec:
    """What the manifest records about the dense index."""

    kind: str = "flat"
    params: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "params": self.params}


@contextlib.contextmanager
def omp_threads(n: int) -> Iterator[None]:
    before = faiss.omp_get_max_threads()
    faiss.omp_set_num_threads(max(1, n))
    try:
        yield
    finally:
        faiss.omp_set_num_threads(before)


def choose_kind(
    n: int, dim: int, flat_max: int = FLAT_MAX_PASSAGES, memory_budget: int = MEMORY_BUDGET_BYTES
) -> str:
    if n <= flat_max:
        return "flat"
    if n * dim * 4 <= memory_budget:
        return "ivf_flat"
    return "ivf_sq8"


def nlist_for(n: int) -> int:
    """~4*sqrt(n) inverted lists, at least 39 training points each (FAISS's advice)."""
    return max(1, min(int(4 * math.sqrt(n)), n // 39))


def build_dense(
    vectors: np.ndarray,
    flat_max: int | None = None,
    memory_budget: int | None = None,
    recall_target: float | None = None,
    recall_queries: int = RECALL_QUERIES,
    seed: int = 0,
) -> tuple[faiss.Index, DenseSpec]:
    """Build the index for `vectors`. Thresholds default to the module constants (read at call
    time), and are parameters so tests can exercise the approximate kinds on small sets."""
    flat_max = FLAT_MAX_PASSAGES if flat_max is None else flat_max
    memory_budget = MEMORY_BUDGET_BYTES if memory_budget is None else memory_budget
    recall_target = RECALL_TARGET if recall_target is None else recall_target
    vectors = np.ascontiguousarray(vectors, dtype=np.float32)
    n, dim = vectors.shape
    kind = choose_kind(n, dim, flat_max, memory_budget)
    started = time.perf_counter()
    with omp_threads(os.cpu_count() or 1):
        if kind == "flat":
            index = faiss.IndexFlatIP(dim)
            if n:
                index.add(vectors)
            return index, DenseSpec("flat", {"metric": "inner_product"})
        index, params = _build_ivf(vectors, kind, seed)
        recall, nprobe = _tune_nprobe(index, vectors, recall_target, recall_queries, seed)
    params.update(
        {
            "nprobe": nprobe,
            "recall_at_10": round(recall, 4),
            "recall_target": recall_target,
            "recall_queries": min(recall_queries, n),
            "build_seconds": round(time.perf_counter() - started, 2),
        }
    )
    return index, DenseSpec(kind, params)


def _build_ivf(vectors: np.ndarray, kind: str, seed: int) -> tuple[faiss.Index, dict]:
    n, dim = vectors.shape
    nlist = nlist_for(n)
    factory = f"IVF{nlist},Flat" if kind == "ivf_flat" else f"IVF{nlist},SQ8"
    index = faiss.index_factory(dim, factory, faiss.METRIC_INNER_PRODUCT)
    rng = np.random.default_rng(seed)
    train_n = min(n, max(nlist * 64, 50_000))
    sample = vectors[np.sort(rng.choice(n, train_n, replace=False))] if train_n < n else vectors
    index.train(sample)
    index.add(vectors)
    params: dict = {"factory": factory, "nlist": nlist, "metric": "inner_product"}
    # Lexical-only hits get their cosine from the stored vector: IVF needs a direct map for it.
    faiss.extract_index_ivf(index).make_direct_map()
    params["trained_on"] = train_n
    return index, params


def _pseudo_queries(vectors: np.ndarray, count: int, seed: int) -> np.ndarray:
    """Queries shaped like real ones: between two stored passages, plus noise.

    Real questions sit far from any single passage (best cosine ~0.45-0.6 on the benchmark
    corpus). A stored vector plus a little noise is found trivially and overstates recall
    (1.00 at nprobe 8 where real questions got 0.92); the normalized sum of two random stored
    vectors plus isotropic noise of norm 1 tracked the real-question recall within 0.01 at every
    nprobe tried, slightly on the pessimistic side.
    """
    rng = np.random.default_rng(seed + 1)
    count = min(count, len(vectors))
    mixed = (
        vectors[rng.integers(0, len(vectors), count)]
        + vectors[rng.integers(0, len(vectors), count)]
    )
    mixed /= np.maximum(np.linalg.norm(mixed, axis=1, keepdims=True), 1e-9)
    noise = rng.standard_normal(mixed.shape).astype(np.float32)
    noise *= _PSEUDO_QUERY_NOISE / math.sqrt(vectors.shape[1])
    queries = mixed + noise
    queries /= np.linalg.norm(queries, axis=1, keepdims=True)
    return np.ascontiguousarray(queries, dtype=np.float32)


def recall_at_10(index: faiss.Index, exact_ids: np.ndarray, queries: np.ndarray) -> float:
    _, found = index.search(queries, 10)
    hits = sum(len(set(a[a >= 0]) & set(b[b >= 0])) for a, b in zip(found, exact_ids, strict=True))
    return hits / max(1, int((exact_ids >= 0).sum()))


def _tune_nprobe(
    index: faiss.Index, vectors: np.ndarray, target: float, count: int, seed: int
) -> tuple[float, int]:
    """Smallest nprobe whose measured recall@10 reaches `target` (or the best one tried)."""
    queries = _pseudo_queries(vectors, count, seed)
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    _, exact = flat.search(queries, 10)
    del flat
    ivf = faiss.extract_index_ivf(index)
    steps = [p for p in NPROBE_STEPS if p < ivf.nlist] + [ivf.nlist]
    best = (0.0, steps[0])
    for position, nprobe in enumerate(steps):
        set_search_params(index, {"nprobe": nprobe})
        recall = recall_at_10(index, exact, queries)
        if recall > best[0]:
            best = (recall, nprobe)
        if recall >= target:
            # One step of margin: the pseudo-queries only approximate real questions.
            margin = steps[min(position + 1, len(steps) - 1)]
            set_search_params(index, {"nprobe": margin})
            best = (max(recall, recall_at_10(index, exact, queries)), margin)
            break
    set_search_params(index, {"nprobe": best[1]})
    return best


def set_search_params(index: faiss.Index, params: dict) -> None:
    if "nprobe" in params:
        with contextlib.suppress(RuntimeError):
            faiss.extract_index_ivf(index).nprobe = int(params["nprobe"])
    if "ef_search" in params:
        faiss.ParameterSpace().set_index_parameter(index, "efSearch", int(params["ef_search"]))


def save_dense(index: faiss.Index, path: Path) -> None:
    faiss.write_index(index, str(path))


def load_dense(path: Path, spec: dict | None = None, mmap: bool = False) -> faiss.Index:
    """Load for querying: search parameters from the manifest, one search thread (see above).

    `mmap` applies to flat indexes only: memory-mapped IVF lists searched 3.5x slower in
    FAISS 1.15 (1.5 vs 0.44 ms p50 at 100k), which costs more over a process's life than the
    0.26 s it saves at start-up; mapped flat vectors search as fast as loaded ones.
    """
    mmap = mmap and (spec or {}).get("kind", "flat") == "flat"
    flags = faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY if mmap else 0
    index = faiss.read_index(str(path), flags)
    set_search_params(index, (spec or {}).get("params", {}))
    faiss.omp_set_num_threads(1)
    return index


def search_dense(index: faiss.Index, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    k = min(k, index.ntotal)
    if k <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    scores, ids = index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k)
    keep = ids[0] >= 0
    return ids[0][keep].astype(np.int64), scores[0][keep]
