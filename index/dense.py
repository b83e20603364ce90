"""The FAISS side of the index: which index type for how many vectors, build, save, load.

Vectors are normalized, so inner product is cosine similarity.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import faiss
import numpy as np

# Up to this many passages an exact (flat) search is fast enough (measured: benchmarks/).
FLAT_MAX_PASSAGES = 50_000


@dataclass
class DenseSpec:
    """What the manifest records about the dense index."""

    kind: str = "flat"
    params: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return {"kind": self.kind, "params": self.params}


def build_dense(vectors: np.ndarray) -> tuple[faiss.Index, DenseSpec]:
    dim = vectors.shape[1]
    index = faiss.IndexFlatIP(dim)
    if len(vectors):
        index.add(np.ascontiguousarray(vectors, dtype=np.float32))
    return index, DenseSpec("flat", {"metric": "inner_product"})


def save_dense(index: faiss.Index, path: Path) -> None:
    faiss.write_index(index, str(path))


def load_dense(path: Path, spec: dict | None = None, mmap: bool = False) -> faiss.Index:
    flags = faiss.IO_FLAG_MMAP | faiss.IO_FLAG_READ_ONLY if mmap else 0
    index = faiss.read_index(str(path), flags)
    params = (spec or {}).get("params", {})
    if "nprobe" in params and hasattr(index, "nprobe"):
        faiss.extract_index_ivf(index).nprobe = int(params["nprobe"])
    if "ef_search" in params:
        faiss.ParameterSpace().set_index_parameter(index, "efSearch", int(params["ef_search"]))
    return index


def search_dense(index: faiss.Index, query: np.ndarray, k: int) -> tuple[np.ndarray, np.ndarray]:
    k = min(k, index.ntotal)
    if k <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.float32)
    scores, ids = index.search(np.ascontiguousarray(query.reshape(1, -1), dtype=np.float32), k)
    keep = ids[0] >= 0
    return ids[0][keep].astype(np.int64), scores[0][keep]
