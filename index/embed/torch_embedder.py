"""sentence-transformers on torch: the reference embedder, and the ONNX export made from it."""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from index.embed.model import model_id_for, read_model_info, resolve_model_path
from index.embed.onnx_embedder import ONNX_FORMAT, onnx_cache_dir
from index.errors import ModelError


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


def export_onnx(model: str, cache_root: Path, device: str = "cpu") -> Path:
    """Export `model` to ONNX once (needs torch); return the cache directory holding it.

    Written to a temp dir and renamed into place, so a killed export never leaves half a model.
    """
    target = onnx_cache_dir(model, cache_root)
    if (target / "export.json").exists():
        return target
    reference = TorchEmbedder(model, device="cpu")
    st_model = reference.model
    model_dir = resolve_model_path(model) or Path(st_model.tokenizer.name_or_path)
    cache_root.mkdir(parents=True, exist_ok=True)
    tmp = Path(tempfile.mkdtemp(prefix=".export-", dir=cache_root))
    try:
        st_model.tokenizer.backend_tokenizer.save(str(tmp / "tokenizer.json"))
        info = read_model_info(model_dir) if model_dir.is_dir() else None
        if info is None or info.pooling == "unsupported":
            raise ModelError(f"model {model!r}: only mean or CLS pooling can run on ONNX")
        _export_graph(st_model, tmp / "model.onnx")
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


def _export_graph(st_model, path: Path) -> None:  # type: ignore[no-untyped-def]
    """The transformer of a SentenceTransformer as an ONNX graph returning its last hidden
    state (pooling and normalization are done by `OnnxEmbedder`), batch and length dynamic."""
    import warnings

    import torch

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
    with warnings.catch_warnings(), torch.no_grad():
        warnings.simplefilter("ignore")
        torch.onnx.export(
            LastHidden(st_model[0].auto_model.eval()),
            tuple(sample[name] for name in names),
            str(path),
            input_names=names,
            output_names=["last_hidden_state"],
            dynamic_axes=axes,
            opset_version=17,
            dynamo=False,
        )
