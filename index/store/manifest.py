"""A generation's manifest: what it holds (format, model, dimension, dense index spec, counts,
per-article hashes, every file's size and sha256), read and checked before anything is used."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

from index.errors import IndexCorruptError, IndexIncompatibleError
from index.store.generations import FORMAT_VERSION, MANIFEST, REBUILD_HINT, file_sha256


@dataclass
class Manifest:
    data: dict

    @property
    def model(self) -> str:
        return str(self.data.get("model", ""))

    @property
    def dim(self) -> int:
        return int(self.data.get("dim", 0))

    @property
    def article_hashes(self) -> dict[str, str]:
        return {aid: meta["hash"] for aid, meta in self.data.get("articles", {}).items()}

    @classmethod
    def read(cls, generation: Path) -> Manifest:
        path = generation / MANIFEST
        try:
            data = json.loads(path.read_text(encoding="utf-8"))
        except FileNotFoundError:
            raise IndexCorruptError(f"{path} is missing; {REBUILD_HINT}") from None
        except UnicodeDecodeError:
            raise IndexCorruptError(f"{path} is garbled (not UTF-8); {REBUILD_HINT}") from None
        except ValueError:
            raise IndexCorruptError(f"{path} is garbled (not JSON); {REBUILD_HINT}") from None
        except OSError as exc:
            raise IndexCorruptError(f"cannot read {path}: {exc.strerror}; {REBUILD_HINT}") from None
        problem = _manifest_problem(data)
        if problem:
            raise IndexCorruptError(f"{path} is garbled ({problem}); {REBUILD_HINT}")
        return cls(data)

    def check_compatible(self, generation: Path, model_id: str | None) -> None:
        version = self.data.get("format_version")
        if version != FORMAT_VERSION:
            raise IndexIncompatibleError(
                f"{generation / MANIFEST}: index format {version!r}, this vendorcheck reads "
                f"format {FORMAT_VERSION}; {REBUILD_HINT}"
            )
        if model_id is not None and self.model != model_id:
            raise IndexIncompatibleError(
                f"{generation / MANIFEST}: index built with model {self.model!r} but "
                f"VENDORCHECK_MODEL is {model_id!r}; {REBUILD_HINT} (or set VENDORCHECK_MODEL back)"
            )

    def check_files(self, generation: Path) -> None:
        """Every file the manifest lists is there with its recorded size (cheap: stat only)."""
        for rel, meta in self.data.get("files", {}).items():
            path = generation / rel
            try:
                size = path.stat().st_size
            except FileNotFoundError:
                raise IndexCorruptError(f"{path} is missing; {REBUILD_HINT}") from None
            if size != meta["size"]:
                raise IndexCorruptError(
                    f"{path} is {size} bytes, the index wrote {meta['size']} (truncated or "
                    f"overwritten); {REBUILD_HINT}"
                )

    def verify_hash(self, generation: Path, rel: str) -> None:
        """Full sha256 check of one file, for data a build is about to reuse."""
        meta = self.data.get("files", {}).get(rel)
        if meta is None or "sha256" not in meta:
            return  # written before hashes were recorded
        path = generation / rel
        try:
            digest = file_sha256(path)
        except FileNotFoundError:
            raise IndexCorruptError(f"{path} is missing; {REBUILD_HINT}") from None
        if digest != meta["sha256"]:
            raise IndexCorruptError(f"{path} is garbled (checksum mismatch); {REBUILD_HINT}")


def _manifest_problem(data: object) -> str:
    """What is wrong with a parsed manifest, or "" if every field later code relies on is sane."""
    if not isinstance(data, dict) or "format_version" not in data:
        return "not a vendorcheck manifest"
    if data.get("format_version") != FORMAT_VERSION:
        return ""  # check_compatible reports the version with its own message
    if not isinstance(data.get("model"), str):
        return "no model name"
    dim = data.get("dim")
    if not isinstance(dim, int) or isinstance(dim, bool) or dim <= 0:
        return f"bad dimension {dim!r}"
    articles = data.get("articles")
    if not isinstance(articles, dict):
        return "no article list"
    for meta in articles.values():
        if not (
            isinstance(meta, dict)
            and isinstance(meta.get("hash"), str)
            and all(isinstance(meta.get(key), int) for key in ("first_passage", "passages"))
        ):
            return "bad article entry"
    files = data.get("files", {})
    if not isinstance(files, dict) or not all(
        isinstance(v, dict) and isinstance(v.get("size"), int) for v in files.values()
    ):
        return "bad file list"
    return ""
