"""Engine settings: read from the environment (and `.env`), overridable by CLI flags.

Every variable is documented in `.env.example`.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field, replace
from pathlib import Path

from dotenv import find_dotenv, load_dotenv

from index.errors import VendorcheckError

DEFAULT_MODEL = "all-MiniLM-L6-v2"


def load_env_file(path: str | os.PathLike[str] | None = None) -> None:
    """Load `.env` (from the working directory upwards) without overriding real env vars."""
    if path is not None and not Path(path).is_file():
        raise VendorcheckError(f"env file {path} does not exist")
    load_dotenv(dotenv_path=path or find_dotenv(usecwd=True), override=False)


def env_number(
    name: str,
    default: float,
    *,
    minimum: float | None = None,
    error: type[VendorcheckError] = VendorcheckError,
) -> float:
    """A number from env var `name` (`default` when unset or blank).

    With `minimum`, smaller values are refused; without, the value must be positive. A bad value
    raises `error` with a one-line message naming the variable.
    """
    raw = (os.environ.get(name) or "").strip()
    if not raw:
        return default
    try:
        value = float(raw)
    except ValueError:
        raise error(f"{name}={raw!r} is not a number (default {default:g})") from None
    if minimum is None:
        if value <= 0:
            raise error(f"{name}={raw!r} must be positive")
    elif value < minimum:
        raise error(f"{name}={raw!r} must be at least {minimum:g}")
    return value


def _env_path(name: str, default: str) -> Path:
    return Path(os.environ.get(name) or default).expanduser()


@dataclass(frozen=True)
class EngineConfig:
    corpus_dir: Path = field(default_factory=lambda: Path("corpus"))
    index_dir: Path = field(default_factory=lambda: Path(".vendorcheck/index"))
    data_dir: Path = field(default_factory=lambda: Path(".vendorcheck"))
    model: str = DEFAULT_MODEL
    backend: str = "onnx"  # "onnx" (fast, no torch at query time) or "torch"
    device: str = "cpu"
    model_cache_dir: Path = field(default_factory=lambda: Path(".vendorcheck/models"))
    store: str = "local"  # "local" (files in index_dir) or an engine URL: postgresql://...
    store_check_interval: float = 2.0  # seconds between looks at the engine's version row

    @classmethod
    def from_env(cls) -> EngineConfig:
        data_dir = _env_path("VENDORCHECK_DATA_DIR", ".vendorcheck")
        return cls(
            corpus_dir=_env_path("VENDORCHECK_CORPUS_DIR", "corpus"),
            index_dir=_env_path("VENDORCHECK_INDEX_DIR", str(data_dir / "index")),
            data_dir=data_dir,
            model=os.environ.get("VENDORCHECK_MODEL") or DEFAULT_MODEL,
            backend=(os.environ.get("VENDORCHECK_BACKEND") or "onnx").lower(),
            device=os.environ.get("VENDORCHECK_DEVICE") or "cpu",
            model_cache_dir=_env_path("VENDORCHECK_MODEL_CACHE", str(data_dir / "models")),
            store=check_store(os.environ.get("VENDORCHECK_STORE") or "local"),
            store_check_interval=env_number("VENDORCHECK_STORE_CHECK_INTERVAL", 2.0, minimum=0),
        )

    def with_overrides(self, **overrides: object) -> EngineConfig:
        """Apply CLI flags: only the ones the user actually gave (not None)."""
        given = {k: v for k, v in overrides.items() if v is not None}
        for key in ("corpus_dir", "index_dir", "data_dir", "model_cache_dir"):
            if key in given:
                given[key] = Path(given[key]).expanduser()  # type: ignore[arg-type]
        if "store" in given:
            given["store"] = check_store(str(given["store"]))
        return replace(self, **given)  # type: ignore[arg-type]


def check_store(value: str) -> str:
    """`local` or a postgresql:// URL; anything else is refused in one line."""
    value = value.strip()
    if value.lower() == "local":
        return "local"
    if value.startswith(("postgresql://", "postgres://")):
        return value
    raise VendorcheckError(
        f"store {value!r} is neither 'local' nor an engine URL (postgresql://USER@HOST:PORT/DB)"
    )
