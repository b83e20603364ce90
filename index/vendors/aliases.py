"""The alias file `corpus/vendors.yml`: canonical vendor name -> aliases, acronyms, legal forms.

Read by the builder at every build; its text is hashed into the manifest, so editing it alone
produces a new generation.
"""

from __future__ import annotations

from pathlib import Path

import yaml

from index.errors import VendorcheckError

ALIAS_FILES = ("vendors.yml", "vendors.yaml")


class AliasFileError(VendorcheckError):
    pass


# ---------------------------------------------------------------------------------- build time


def read_alias_file(corpus_dir: Path | None) -> dict[str, list[str]]:
    """Canonical vendor name -> aliases, from `corpus/vendors.yml` (absent file: no aliases).

    Accepted shapes: ``Name: [alias, ...]``, ``Name: {aliases: [...]}``, or a list of
    ``{name: ..., aliases: [...]}``.
    """
    if corpus_dir is None:
        return {}
    path = next((corpus_dir / n for n in ALIAS_FILES if (corpus_dir / n).is_file()), None)
    if path is None:
        return {}
    try:
        data = yaml.safe_load(path.read_text(encoding="utf-8")) or {}
    except (yaml.YAMLError, UnicodeDecodeError) as exc:
        reason = str(exc).splitlines()[0][:100]
        raise AliasFileError(f"{path} is not valid YAML ({reason})") from None
    entries: list[tuple[object, object]] = []
    if isinstance(data, dict):
        entries = list(data.items())
    elif isinstance(data, list):
        entries = [(d.get("name"), d) for d in data if isinstance(d, dict)]
    else:
        raise AliasFileError(f"{path} must map vendor names to alias lists")
    out: dict[str, list[str]] = {}
    for name, value in entries:
        if not name or not str(name).strip():
            raise AliasFileError(f"{path} has an entry without a vendor name")
        if isinstance(value, dict):
            value = value.get("aliases") or []
        if isinstance(value, str):
            value = [value]
        if value is None:
            value = []
        if not isinstance(value, list):
            raise AliasFileError(f"{path}: aliases of {name!r} must be a list")
        out[str(name).strip()] = [str(v).strip() for v in value if str(v).strip()]
    return out


def alias_file_text(corpus_dir: Path | None) -> str:
    """Raw alias file content (for change detection by the builder)."""
    if corpus_dir is None:
        return ""
    for name in ALIAS_FILES:
        if (corpus_dir / name).is_file():
            return (corpus_dir / name).read_text(encoding="utf-8", errors="replace")
    return ""
