"""The configured embedder: ONNX by default (exported from the torch model on first use)."""

from __future__ import annotations

from pathlib import Path

from index.embed.model import Embedder
from index.embed.onnx_embedder import OnnxEmbedder, onnx_cache_dir
from index.embed.torch_embedder import TorchEmbedder, export_onnx
from index.errors import ModelError


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
