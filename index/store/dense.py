"""The FAISS side of the index: which index type for how many vectors, build, save, load.

Vectors are normalized, so inner product is cosine similarity.

Choice by size (numbers from `benchmarks/`, 2 shared vCPUs, 384-d):

* **flat** (exact) up to `FLAT_MAX_PASSAGES`: one query scans every vector, ~0.5 ms at 10k
  single-threaded, growing linearly (~8 ms at 100k), so beyond ~25k it eats the latency budget.
* **ivf_flat** above that, while the raw vectors fit `MEMORY_BUDGET_BYTES`: an inverted file
  with ~4*sqrt(n) lists; a query scans `nprobe` lists (~0.4 ms at 100k). Builds in seconds
  (k-means on a sample).
* **ivf_sq8** beyond the memory budget: the same inverted file with 8-bit scalar-quantized
  vectors (dim bytes per vector instead of 4*dim: 10M x 384 = 3.9 GB), **re-ranked exactly**:
  a query fetches `refine_factor * k` candidates from the 8-bit codes and scores them against
  the float32 vectors every generation already stores in `embeddings.npy`, memory-mapped (so
  RAM stays ~SQ8 size; only the candidates' pages are touched). Without the re-rank the 8-bit
  codes, not nprobe, capped recall@10 at 0.973 at 1M; scores returned are exact cosines, as
  for the other kinds.

For the approximate kinds, recall@10 against exact search is *measured at build time*, through
the same search path queries use (re-rank included), on probe queries that are not indexed
vectors (see `_pseudo_queries`; callers holding real question embeddings can pass them as
`probe_queries`); `nprobe` is raised until it reaches `RECALL_TARGET`. The choice, its
parameters, the refine factor and the measured recall go into the manifest.

Queries search one vector at a time. FAISS parallelises a single query over OpenMP threads,
which on a 2-core box shared with other work is 10-50x *slower* than one thread (spinning
threads fight for cores), so loaded indexes search single-threaded; builds use every core.
"""

from __future__ import annotations

import contextlib
import math
import mmap
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
# ivf_sq8 fetches this many times k candidates from the 8-bit codes, then re-ranks them exactly.
REFINE_FACTOR = 4


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
    refine_factor: int | None = None,
    probe_queries: np.ndarray | None = None,
) -> tuple[faiss.Index, DenseSpec]:
    """Build the index for `vectors`. Thresholds default to the module constants (read at call
    time), and are parameters so tests can exercise the approximate kinds on small sets.

    The returned FAISS index is what `save_dense` writes; for ivf_sq8 the re-rank against the
    float32 vectors is applied at load time (`load_dense`) from the generation's embeddings.
    `probe_queries` (normalized, not indexed vectors), if given, replace the pseudo-queries of
    the build-time recall measurement."""
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
        if kind == "ivf_sq8":
            params["refine_factor"] = REFINE_FACTOR if refine_factor is None else refine_factor
            params["refine"] = "exact float32 re-rank from embeddings.npy (memory-mapped)"
        searched = _with_refine(index, vectors, params)
        if probe_queries is None:
            queries, probe = _pseudo_queries(vectors, recall_queries, seed), "pseudo"
        else:
            queries, probe = np.ascontiguousarray(probe_queries, dtype=np.float32), "given"
        recall, nprobe = _tune_nprobe(searched, vectors, queries, recall_target)
    params.update(
        {
            "nprobe": nprobe,
            "recall_at_10": round(recall, 4),
            "recall_target": recall_target,
            "recall_queries": len(queries),
            "recall_probe": probe,
            "build_seconds": round(time.perf_counter() - started, 2),
        }
    )
    return index, DenseSpec(kind, params)


class RefinedIndex:
    """An approximate FAISS index whose candidates are re-scored exactly against float32 vectors.

    Searches `factor * k` candidates in the approximate index, computes their true inner
    products from `vectors` (usually `embeddings.npy` memory-mapped: only the candidates' rows
    are read) and keeps the best k. Speaks the parts of the FAISS index API the engine uses
    (`search`, `reconstruct_batch`, `ntotal`, `d`); `.index` is the wrapped FAISS index.
    """

    def __init__(self, index: faiss.Index, vectors: np.ndarray, factor: int) -> None:
        if vectors.ndim != 2 or vectors.shape != (index.ntotal, index.d):
            raise ValueError(
                f"re-rank vectors are {vectors.shape}, the index holds {index.ntotal} x {index.d}"
            )
        self.index = index
        self.vectors = vectors
        self.factor = max(1, int(factor))

    @property
    def ntotal(self) -> int:
        return int(self.index.ntotal)

    @property
    def d(self) -> int:
        return int(self.index.d)

    def search(self, queries: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
        queries = np.ascontiguousarray(queries, dtype=np.float32).reshape(-1, self.d)
        fetch = min(self.ntotal, k * self.factor)
        _, candidates = self.index.search(queries, fetch)
        scores = np.full((len(queries), k), -np.inf, dtype=np.float32)
        ids = np.full((len(queries), k), -1, dtype=np.int64)
        for row, (query, found) in enumerate(zip(queries, candidates, strict=True)):
            found = np.unique(found[found >= 0])  # ascending rows: forward reads through the map
            if len(found) == 0:
                continue
            exact = np.asarray(self.vectors[found], dtype=np.float32) @ query
            top = np.argsort(-exact, kind="stable")[:k]
            scores[row, : len(top)] = exact[top]
            ids[row, : len(top)] = found[top]
        return scores, ids

    def reconstruct_batch(self, rows: np.ndarray) -> np.ndarray:
        rows = np.asarray(rows, dtype=np.int64)
        order = np.argsort(rows)
        out = np.empty((len(rows), self.d), dtype=np.float32)
        out[order] = self.vectors[rows[order]]
        return out


def _with_refine(
    index: faiss.Index, vectors: np.ndarray, params: dict
) -> faiss.Index | RefinedIndex:
    factor = params.get("refine_factor")
    return RefinedIndex(index, vectors, int(factor)) if factor else index


def unwrap(index: faiss.Index | RefinedIndex) -> faiss.Index:
    """The FAISS index itself (under a re-rank wrapper, if any)."""
    return index.index if isinstance(index, RefinedIndex) else index


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
    index: faiss.Index | RefinedIndex, vectors: np.ndarray, queries: np.ndarray, target: float
) -> tuple[float, int]:
    """Smallest nprobe whose measured recall@10 reaches `target` (or the best one tried)."""
    flat = faiss.IndexFlatIP(vectors.shape[1])
    flat.add(vectors)
    _, exact = flat.search(queries, 10)
    del flat
    ivf = faiss.extract_index_ivf(unwrap(index))
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


def set_search_params(index: faiss.Index | RefinedIndex, params: dict) -> None:
    index = unwrap(index)
    if "nprobe" in params:
        with contextlib.suppress(RuntimeError):
            faiss.extract_index_ivf(index).nprobe = int(params["nprobe"])
    if "ef_search" in params:
        faiss.ParameterSpace().set_index_parameter(index, "efSearch", int(params["ef_search"]))


def save_dense(index: faiss.Index, path: Path) -> None:
    faiss.write_index(index, str(path))


def load_dense(
    path: Path, spec: dict | None = None, mmap: bool = False, vectors: np.ndarray | None = None
) -> faiss.Index | RefinedIndex:
    """Load for querying: search parameters from the manifest, one search thread (see above).

    If the manifest records a `refine_factor` (ivf_sq8), the index comes back wrapped in a
    `RefinedIndex` over `vectors` (the generation's memory-mapped float32 vectors, opened once
    by the store; read from `embeddings.npy` beside `path` when not given). A missing vectors
    file raises ValueError (the store reports it as corrupt).

    `mmap` applies to flat indexes only: memory-mapped IVF lists searched 3.5x slower in
    FAISS 1.15 (1.5 vs 0.44 ms p50 at 100k), which costs more over a process's life than the
    0.26 s it saves at start-up; mapped flat vectors search as fast as loaded ones.
    """
    mmap = mmap and (spec or {}).get("kind", "flat") == "flat"
    flags = faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY if mmap else 0
    index = faiss.read_index(str(path), flags)
    params = (spec or {}).get("params", {})
    set_search_params(index, params)
    faiss.omp_set_num_threads(1)
    if params.get("refine_factor"):
        if vectors is None:
            vectors_path = path.parent / "embeddings.npy"
            try:
                vectors = np.load(vectors_path, mmap_mode="r", allow_pickle=False)
            except OSError as exc:
                raise ValueError(f"{vectors_path}: {exc}") from None
        _advise_random(vectors)
        return RefinedIndex(index, vectors, int(params["refine_factor"]))
    return index


def _advise_random(vectors: np.ndarray) -> None:
    """A re-rank reads scattered rows: tell the kernel not to read ahead around each one."""
    mapping = getattr(vectors, "_mmap", None)
    if mapping is not None and hasattr(mmap, "MADV_RANDOM"):
        with contextlib.suppress(OSError, ValueError):
            mapping.madvise(mmap.MADV_RANDOM)


def search_dense(
    index: faiss.Index | RefinedIndex, query: np.ndarray, k: int
) -> tuple[np.ndarray, np.ndarray]:
    k = min(k, index.ntotal)
    if k <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    scores, ids = index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k)
    keep = ids[0] >= 0
    return ids[0][keep].astype(np.int64), scores[0][keep]
