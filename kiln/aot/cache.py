"""The compile cache: kiln libraries on disk, keyed by everything that determines their code.

Knobs (read here and nowhere else):
- ``KILN_CACHE=0`` turns it off (every compile builds, nothing is written);
- ``KILN_CACHE_DIR``: where it lives (default ``$XDG_CACHE_HOME/kiln``, else ``~/.cache/kiln``);
- ``KILN_CACHE_MAX_SIZE``: its size cap in bytes, or with a K/M/G suffix (default 2G).

Layout: ``<dir>/v1/<key>/`` holds ``model.so`` and ``entry.json`` (the
library's size and SHA-256). An entry is built in ``<dir>/tmp/<unique>/``
and published by renaming its folder to ``v1/<key>``: readers see a whole
entry or none, and of two processes building the same key at once, one
publishes and the other uses it. A lookup verifies the checksum: an entry
that is truncated, altered or half-deleted is removed (renamed away first,
then deleted) and reported as a miss, so it is rebuilt, never loaded. Each
hit refreshes the entry's ``entry.json`` time; after a store, the least
recently used entries are removed until the cache fits its cap.
"""

from __future__ import annotations

import contextlib
import hashlib
import importlib.util
import json
import os
import secrets
import shutil
import time
from collections.abc import Callable
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

LAYOUT = "v1"
LIBRARY = "model.so"
ENTRY = "entry.json"
DEFAULT_MAX_SIZE = 2 << 30
# A build folder older than this was left by a process that died: removed on eviction.
STALE_BUILD_SECONDS = 24 * 3600
_UNITS = {"": 1, "K": 1 << 10, "M": 1 << 20, "G": 1 << 30, "T": 1 << 40}
# The packages whose source determines the code kiln generates.
_CODE_PACKAGES = ("kiln", "kiln.dialects", "kiln.passes", "kiln.lowering")


def enabled() -> bool:
    """False when ``KILN_CACHE=0`` (or ``false``, ``off``, ``no``)."""
    return os.environ.get("KILN_CACHE", "1").strip().lower() not in ("0", "false", "off", "no")


def cache_dir() -> Path:
    """``KILN_CACHE_DIR``, else ``$XDG_CACHE_HOME/kiln``, else ``~/.cache/kiln``."""
    env = os.environ.get("KILN_CACHE_DIR")
    if env:
        return Path(env)
    base = os.environ.get("XDG_CACHE_HOME") or Path.home() / ".cache"
    return Path(base) / "kiln"


def max_size() -> int:
    """The size cap in bytes (``KILN_CACHE_MAX_SIZE``); ValueError when malformed."""
    text = os.environ.get("KILN_CACHE_MAX_SIZE", "").strip().upper().removesuffix("B")
    if not text:
        return DEFAULT_MAX_SIZE
    unit = text[-1] if text[-1] in _UNITS else ""
    try:
        return int(float(text[: len(text) - len(unit)]) * _UNITS[unit])
    except ValueError:
        raise ValueError(
            f"KILN_CACHE_MAX_SIZE must be a size such as 500M or 2G, got '{text}'"
        ) from None


def make_key(**parts) -> str:
    """A cache key: the SHA-256 of ``parts`` (bytes hashed as they are, the rest as JSON)
    with kiln's source and the code generators' versions."""
    from kiln.aot.toolchain import versions

    digest = hashlib.sha256()
    for name in sorted(parts):
        value = parts[name]
        data = value if isinstance(value, bytes) else json.dumps(value, sort_keys=True).encode()
        digest.update(f"{name}:{len(data)}:".encode())
        digest.update(data)
    digest.update(json.dumps(versions(), sort_keys=True).encode())
    digest.update(source_digest().encode())
    return digest.hexdigest()


@lru_cache(maxsize=1)
def source_digest() -> str:
    """SHA-256 of kiln's Python source (passes, pipelines, runtime conventions): any edit
    of the compiler gives new keys, even when its version number stays the same."""
    digest = hashlib.sha256()
    for package in _CODE_PACKAGES:
        spec = importlib.util.find_spec(package)
        for location in (spec.submodule_search_locations or []) if spec else []:
            root = Path(location)
            for path in sorted(root.rglob("*.py")):
                digest.update(f"{package}/{path.relative_to(root)}\0".encode())
                digest.update(path.read_bytes())
    return digest.hexdigest()


@dataclass(frozen=True)
class Lookup:
    """The outcome of a lookup: the library's path on a hit; ``corrupt`` when an entry was
    found damaged (and removed)."""

    path: Path | None
    corrupt: bool = False


class CompileCache:
    """Libraries by key under ``root`` (see the module docstring)."""

    def __init__(self, root: Path, max_bytes: int = DEFAULT_MAX_SIZE):
        self.root = Path(root)
        self.max_bytes = max_bytes

    @staticmethod
    def from_env() -> CompileCache | None:
        """The user's cache, or None when ``KILN_CACHE=0``."""
        return CompileCache(cache_dir(), max_size()) if enabled() else None

    def entry_dir(self, key: str) -> Path:
        """Where the entry for ``key`` lives."""
        return self.root / LAYOUT / key

    def lookup(self, key: str) -> Lookup:
        """The verified library for ``key``; a damaged entry is removed (a miss)."""
        entry = self.entry_dir(key)
        if not entry.exists():
            return Lookup(None)
        if not _verified(entry):
            self.remove(key)
            return Lookup(None, corrupt=True)
        with contextlib.suppress(OSError):  # recently used (LRU); a vanished entry is a miss
            os.utime(entry / ENTRY)
        return Lookup(entry / LIBRARY)

    def store(self, key: str, build: Callable[[Path, Path], None]) -> Path:
        """Builds the entry for ``key`` and publishes it; returns its library's path.

        ``build(library, work_dir)`` writes the library file. When another process
        published the same key meanwhile, its (verified) entry is used.
        """
        scratch = self.root / "tmp" / f"{key[:16]}-{os.getpid()}-{secrets.token_hex(4)}"
        entry, work = scratch / "entry", scratch / "work"
        entry.mkdir(parents=True)
        work.mkdir()
        try:
            build(entry / LIBRARY, work)
            _write_entry(entry, key)
            self._publish(entry, key)
        finally:
            shutil.rmtree(scratch, ignore_errors=True)
        self.evict(keep=key)
        return self.entry_dir(key) / LIBRARY

    def _publish(self, entry: Path, key: str) -> None:
        final = self.entry_dir(key)
        final.parent.mkdir(parents=True, exist_ok=True)
        for _ in range(2):
            try:
                os.rename(entry, final)  # atomic; fails if another process published first
                return
            except OSError:
                if _verified(final):
                    return  # theirs is as good as ours
                self.remove(key)  # damaged: replace it
        raise OSError(f"kiln cache: cannot publish {final}")

    def remove(self, key: str) -> None:
        """Removes an entry: renamed away first, so no reader sees it half deleted."""
        entry = self.entry_dir(key)
        trash = self.root / "tmp" / f"trash-{key[:16]}-{secrets.token_hex(4)}"
        trash.parent.mkdir(parents=True, exist_ok=True)
        try:
            os.rename(entry, trash)
        except OSError:
            return  # gone already
        shutil.rmtree(trash, ignore_errors=True)

    def entries(self) -> list[tuple[str, int, float]]:
        """(key, bytes, last use time) of every entry."""
        found = []
        layout = self.root / LAYOUT
        for entry in layout.iterdir() if layout.exists() else []:
            try:
                size = sum(f.stat().st_size for f in entry.iterdir())
                used = (entry / ENTRY).stat().st_mtime
            except OSError:
                continue  # removed or being removed by another process
            found.append((entry.name, size, used))
        return found

    def evict(self, keep: str | None = None) -> list[str]:
        """Removes least recently used entries (never ``keep``) until the cache fits its cap;
        also removes build folders left by dead processes. Returns the keys removed."""
        self._remove_stale_builds()
        entries = sorted(self.entries(), key=lambda e: e[2])
        total = sum(size for _, size, _ in entries)
        removed = []
        for key, size, _ in entries:
            if total <= self.max_bytes:
                break
            if key == keep:
                continue
            self.remove(key)
            removed.append(key)
            total -= size
        return removed

    def _remove_stale_builds(self) -> None:
        scratch = self.root / "tmp"
        now = time.time()
        for folder in scratch.iterdir() if scratch.exists() else []:
            with contextlib.suppress(OSError):
                if now - folder.stat().st_mtime > STALE_BUILD_SECONDS:
                    shutil.rmtree(folder, ignore_errors=True)


def _write_entry(entry: Path, key: str) -> None:
    library = entry / LIBRARY
    record = {"key": key, "size": library.stat().st_size, "sha256": _sha256(library)}
    (entry / ENTRY).write_text(json.dumps(record))


def _verified(entry: Path) -> bool:
    """True if the entry is complete and its library has the recorded size and checksum."""
    try:
        record = json.loads((entry / ENTRY).read_text())
        library = entry / LIBRARY
        if library.stat().st_size != record["size"]:
            return False
        return _sha256(library) == record["sha256"]
    except (OSError, ValueError, KeyError, TypeError):
        return False


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with open(path, "rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
