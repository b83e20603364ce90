"""Where snapshots live and how they are read and written.

- The bundled snapshot, `corpus/lists/` (`<corpus>/lists`, else the one shipped next to the
  package): one file per source and a `manifest.json`. A fresh clone answers from it with no
  network.
- Synced snapshots, `$VENDORCHECK_DATA_DIR/lists/`: written by `sync`. A source is read from
  there once a sync of it has succeeded, from the bundle until then.

Writes are atomic: each new source file gets a new name (its content hash), is written to a
temporary file and `os.replace`d into place; the manifest is replaced last, so a reader sees
either the old manifest with the old files or the new one with the new files. Old files are
deleted after the manifest switch.
"""

from __future__ import annotations

import hashlib
import json
import os
import tempfile
from pathlib import Path
from typing import Any

from index.config import EngineConfig
from index.lists.common import ListDataError
from index.lists.model import ListEntry, ListSnapshot, SourceInfo
from index.lists.sources import EXTENSIONS, parse_file

MANIFEST = "manifest.json"
SHIPPED = Path(__file__).resolve().parents[2] / "corpus" / "lists"
_cache: dict[tuple, ListSnapshot] = {}
_last: dict[tuple, ListSnapshot] = {}  # the manifests' stamps -> the snapshot they gave
_manifest_paths: dict[tuple[Path, Path], tuple[str, ...]] = {}
_manifests: dict[Path, tuple[tuple[int, int, int], object]] = {}
# (manifest path, origin) -> (stamp, its SourceInfos): parsed once per manifest version
_infos: dict[tuple[Path, str], tuple[tuple[int, int, int], dict[str, SourceInfo]]] = {}


def bundled_dir(config: EngineConfig) -> Path:
    candidate = config.corpus_dir / "lists"
    return candidate if (candidate / MANIFEST).is_file() else SHIPPED


def synced_dir(config: EngineConfig) -> Path:
    return config.data_dir / "lists"


def read_manifest(directory: Path, origin: str) -> dict[str, SourceInfo]:
    """Source id -> SourceInfo; {} when there is no manifest. A broken one is an error."""
    path = directory / MANIFEST
    try:
        stamp, data = _manifest_data(path)
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        raise ListDataError(f"{path} cannot be read ({exc})") from None
    cached = _infos.get((path, origin))
    if cached is not None and cached[0] == stamp:
        return dict(cached[1])
    sources = data.get("sources") if isinstance(data, dict) else None
    if not isinstance(sources, dict):
        raise ListDataError(f'{path} has no "sources"')
    infos = {
        sid: SourceInfo.from_json({**info, "source": sid, "origin": origin})
        for sid, info in sources.items()
        if isinstance(info, dict)
    }
    _infos[(path, origin)] = (stamp, infos)
    return dict(infos)


def _manifest_data(path: Path) -> tuple[tuple[int, int, int], object]:
    """The manifest's stamp and parsed data, re-read only when the file changed (every answer
    asks for it: a stat instead of a read and a JSON parse; a sync replaces it with
    `os.replace`, a new inode)."""
    info = path.stat()
    stamp = (info.st_ino, info.st_mtime_ns, info.st_size)
    cached = _manifests.get(path)
    if cached is not None and cached[0] == stamp:
        return cached
    data = json.loads(path.read_text(encoding="utf-8"))
    _manifests[path] = (stamp, data)
    return stamp, data


def current_sources(config: EngineConfig) -> dict[str, tuple[Path, SourceInfo]]:
    """For each source: (directory, info) of the snapshot in use (synced wins over bundled)."""
    bundled = bundled_dir(config)
    chosen = {sid: (bundled, info) for sid, info in _bundled(bundled).items()}
    try:
        synced = read_manifest(synced_dir(config), "synced")
    except ListDataError:
        synced = {}  # never written half-way (atomic); unreadable = fall back to the bundle
    for sid, info in synced.items():
        chosen[sid] = (synced_dir(config), info)
    return chosen


def _bundled(directory: Path) -> dict[str, SourceInfo]:
    infos = read_manifest(directory, "bundled")
    if not infos:
        raise ListDataError(f"no list snapshot: {directory / MANIFEST} is missing")
    return infos


def read_entries(directory: Path, info: SourceInfo) -> list[ListEntry]:
    path = directory / info.file
    try:
        data = path.read_bytes()
    except OSError as exc:
        raise ListDataError(f"{path} cannot be read ({exc.strerror})") from None
    return parse_file(data, info.format)


def _stamps(config: EngineConfig) -> tuple:
    """What `current_sources` depends on, by stat alone: each manifest it may read (corpus,
    shipped, synced), file or not, by inode, mtime and size (a sync `os.replace`s one)."""
    dirs = (config.corpus_dir, config.data_dir)
    paths = _manifest_paths.get(dirs)
    if paths is None:
        paths = _manifest_paths[dirs] = tuple(
            str(d / MANIFEST) for d in (config.corpus_dir / "lists", SHIPPED, synced_dir(config))
        )
    stamps: list[object] = [dirs]
    for path in paths:
        try:
            info = os.stat(path)
        except OSError:
            stamps.append(None)
        else:
            stamps.append((info.st_mode, info.st_ino, info.st_mtime_ns, info.st_size))
    return tuple(stamps)


def load_snapshot(config: EngineConfig) -> ListSnapshot:
    """All sources in use; parsed once per manifest version (the bot calls this per answer:
    while no manifest changed, a stat of each is all it costs)."""
    stamps = _stamps(config)
    last = _last.get(stamps)
    if last is not None:
        return last
    chosen = current_sources(config)
    key = tuple(sorted((sid, str(d), i.file, i.retrieved) for sid, (d, i) in chosen.items()))
    cached = _cache.get(key)
    if cached is not None:
        _last.clear()
        _last[stamps] = cached
        return cached
    snapshot = ListSnapshot()
    for sid, (directory, info) in chosen.items():
        snapshot.entries.extend(read_entries(directory, info))
        snapshot.sources[sid] = info
    _cache.clear()
    _cache[key] = snapshot
    _last.clear()
    _last[stamps] = snapshot
    return snapshot


def _atomic_write(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise


def write_source_file(directory: Path, source: str, body: bytes, file_format: str) -> str:
    """Store a downloaded body under a content-addressed name; returns the file name."""
    digest = hashlib.sha256(body).hexdigest()[:16]
    name = f"{source}-{digest}.{EXTENSIONS.get(file_format, 'dat')}"
    if not (directory / name).is_file():
        _atomic_write(directory / name, body)
    return name


def write_manifest(directory: Path, infos: dict[str, SourceInfo]) -> None:
    """Replace the manifest, then delete source files it no longer references."""
    data: dict[str, Any] = {
        "version": 1,
        "sources": {
            sid: {k: v for k, v in info.to_json().items() if k not in ("source", "origin")}
            for sid, info in sorted(infos.items())
        },
    }
    _atomic_write(directory / MANIFEST, (json.dumps(data, indent=2) + "\n").encode())
    keep = {info.file for info in infos.values()} | {MANIFEST}
    for path in directory.iterdir():
        if path.is_file() and path.name not in keep and not path.name.startswith("."):
            path.unlink(missing_ok=True)
