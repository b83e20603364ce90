"""The exported model on ONNX Runtime (no torch), and where the export is cached."""

from __future__ import annotations

import hashlib
import json
import os
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.embed.model import model_id_for, resolve_model_path
from index.errors import ModelError

ONNX_FORMAT = 1
ONNX_VARIANTS = {"fp32": "model.onnx", "int8": "model.int8.onnx"}


def _fingerprint(model_dir: Path) -> str:
    """Cheap identity of a local model: its configs plus the size of every file."""
    digest = hashlib.sha256()
    for file in sorted(p for p in model_dir.rglob("*") if p.is_file()):
        rel = file.relative_to(model_dir).as_posix()
        digest.update(rel.encode())
        if file.suffix == ".json":
            digest.update(file.read_bytes())
        else:
            digest.update(str(file.stat().st_size).encode())
    return digest.hexdigest()[:16]


def onnx_cache_dir(model: str, cache_root: Path) -> Path:
    path = resolve_model_path(model)
    key = _fingerprint(path) if path else hashlib.sha256(model.encode()).hexdigest()[:16]
    return cache_root / f"{model_id_for(model).replace('/', '--')}-{key}"


def quantize_int8(export_dir: Path) -> Path:
    """Dynamic int8 quantization of the export, per output channel (made once, atomically).

    Per-channel keeps one scale per weight row; per-tensor (one scale per matrix) loses more
    retrieval quality on this model. Needs only onnxruntime, no torch.
    """
    from onnxruntime.quantization import QuantType, quantize_dynamic

    target = export_dir / ONNX_VARIANTS["int8"]
    if target.exists():
        return target
    tmp = export_dir / f".{target.name}.{os.getpid()}.tmp"
    try:
        quantize_dynamic(
            export_dir / ONNX_VARIANTS["fp32"],
            tmp,
            per_channel=True,
            weight_type=QuantType.QInt8,
        )
        os.replace(tmp, target)
    finally:
        tmp.unlink(missing_ok=True)
    return target


def _normalize(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (vectors / norms).astype(np.float32, copy=False)


class _NoProgress:
    def __enter__(self) -> _NoProgress:
        return self

    def __exit__(self, *exc: object) -> None:
        return None

    def update(self, n: int) -> None:
        return None


def _progress(total: int, enabled: bool, desc: str):  # type: ignore[no-untyped-def]
    # A disabled tqdm bar still costs ~0.3 ms to create and close: one query's embedding pays
    # it on every question (benchmarks/profile_query.py), so no bar unless asked for.
    if not enabled:
        return _NoProgress()
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="passage", leave=False)


class OnnxEmbedder:
    """The exported model on ONNX Runtime: same vectors as TorchEmbedder, no torch import.

    Two sessions, because the best threading differs (measured in benchmarks/, 2 shared vCPUs):

    * one query (1-2 texts): a single thread without spin-waiting. Splitting a 10-token
      sequence over 2 threads buys nothing, and spinning threads on a core another process
      wants made p50 2-4x worse;
    * batches (indexing): every core, created on first use, so a query-only process never pays
      for it.

    `variant="int8"` runs the dynamically quantized copy (per-channel int8 weights) made once by
    `quantize_int8` beside the export; see benchmarks/RESULTS.md for its speed and quality.
    """

    BATCH_SESSION_MIN = 4  # texts per call from which the multi-threaded session is used

    def __init__(self, export_dir: Path, threads: int | None = None, variant: str = "fp32") -> None:
        from tokenizers import Tokenizer

        meta = json.loads((export_dir / "export.json").read_text())
        self.model_id: str = meta["model_id"]
        self.dim: int = int(meta["dim"])
        self.max_tokens: int = int(meta["max_tokens"])
        self.pooling: str = meta["pooling"]
        if variant not in ONNX_VARIANTS:
            raise ModelError(
                f"unknown ONNX variant {variant!r}: use one of {sorted(ONNX_VARIANTS)}"
            )
        self.variant = variant
        self.model_path = export_dir / ONNX_VARIANTS[variant]
        if not self.model_path.exists():
            if variant != "int8":
                raise ModelError(f"{self.model_path} is missing; delete {export_dir} to re-export")
            quantize_int8(export_dir)
        self.batch_threads = threads or os.cpu_count() or 1
        self.session = self._session(threads=1, spinning=False)
        self._batch_session = None
        self.input_names = {i.name for i in self.session.get_inputs()}
        self.tokenizer = Tokenizer.from_file(str(export_dir / "tokenizer.json"))
        self.tokenizer.no_padding()
        self.tokenizer.no_truncation()
        self._counter = Tokenizer.from_file(str(export_dir / "tokenizer.json"))
        self._counter.no_padding()
        self._counter.no_truncation()
        self.tokenizer.enable_truncation(self.max_tokens)

    def _session(self, threads: int, spinning: bool):  # type: ignore[no-untyped-def]
        import onnxruntime as ort

        options = ort.SessionOptions()
        options.intra_op_num_threads = threads
        options.inter_op_num_threads = 1
        options.execution_mode = ort.ExecutionMode.ORT_SEQUENTIAL
        options.graph_optimization_level = ort.GraphOptimizationLevel.ORT_ENABLE_ALL
        options.add_session_config_entry(
            "session.intra_op.allow_spinning", "1" if spinning else "0"
        )
        return ort.InferenceSession(
            str(self.model_path), options, providers=["CPUExecutionProvider"]
        )

    def _session_for(self, batch: int):  # type: ignore[no-untyped-def]
        if batch < self.BATCH_SESSION_MIN or self.batch_threads <= 1:
            return self.session
        if self._batch_session is None:
            self._batch_session = self._session(threads=self.batch_threads, spinning=True)
        return self._batch_session

    def _run(self, texts: Sequence[str]) -> np.ndarray:
        encodings = self.tokenizer.encode_batch(list(texts))
        width = max(len(e.ids) for e in encodings)
        ids = np.zeros((len(encodings), width), dtype=np.int64)
        mask = np.zeros_like(ids)
        types = np.zeros_like(ids)
        for row, enc in enumerate(encodings):
            n = len(enc.ids)
            ids[row, :n] = enc.ids
            mask[row, :n] = enc.attention_mask
            types[row, :n] = enc.type_ids
        feeds = {"input_ids": ids, "attention_mask": mask, "token_type_ids": types}
        feeds = {k: v for k, v in feeds.items() if k in self.input_names}
        hidden = self._session_for(len(texts)).run(None, feeds)[0]
        if self.pooling == "cls":
            pooled = hidden[:, 0]
        else:
            weights = mask[..., None].astype(np.float32)
            pooled = (hidden * weights).sum(axis=1) / np.clip(weights.sum(axis=1), 1e-9, None)
        return _normalize(pooled)

    def embed(
        self, texts: Sequence[str], batch_size: int = 32, progress: bool = False
    ) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        # Sort by length so each batch pads little (what sentence-transformers does too).
        order = np.argsort([-len(t) for t in texts], kind="stable")
        out = np.empty((len(texts), self.dim), dtype=np.float32)
        with _progress(len(texts), progress, "embedding") as bar:
            for begin in range(0, len(texts), batch_size):
                idx = order[begin : begin + batch_size]
                out[idx] = self._run([texts[i] for i in idx])
                bar.update(len(idx))
        return out

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        return [len(e.ids) for e in self._counter.encode_batch(list(texts))]
