"""Files kiln writes on its own (stage dumps, reproducers): unique names, atomic writes.

Several threads or processes may compile into one folder at once. A file's
name therefore carries a short hash of what determines its content (two
different modules never share a name; the same compilation twice writes the
same bytes to the same name), and each file is written to a temporary name in
its folder, then renamed: a reader sees the old file or the whole new one,
never a mix of two writers.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from pathlib import Path

from kiln.ir import ir

HASH_CHARS = 10


def short_hash(*parts: str | bytes) -> str:
    """A short hex digest of ``parts`` (in order): the unique part of a file name."""
    digest = hashlib.blake2b(digest_size=HASH_CHARS // 2)
    for part in parts:
        digest.update(part.encode() if isinstance(part, str) else part)
        digest.update(b"\0")
    return digest.hexdigest()


class _HashSink:
    """A write-only file object that hashes what is written to it."""

    def __init__(self) -> None:
        self.digest = hashlib.blake2b(digest_size=HASH_CHARS // 2)

    def write(self, data: bytes) -> int:
        self.digest.update(data)
        return len(data)


def module_hash(module: ir.Module | ir.Operation, *extra: str) -> str:
    """A short digest of ``module`` (weights and locations included) and ``extra``.

    The module is hashed as bytecode, which is cheaper than printing it.
    """
    op = module.operation if isinstance(module, ir.Module) else module
    sink = _HashSink()
    op.write_bytecode(sink)
    for part in extra:
        sink.digest.update(part.encode() + b"\0")
    return sink.digest.hexdigest()


def atomic_write(path: str | os.PathLike, content: str | bytes) -> Path:
    """Writes ``content`` to ``path`` through a temporary file and a rename.

    Creates the parent folder. Raises OSError (e.g. when the folder is a file);
    no temporary file is left behind then.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    data = content.encode() if isinstance(content, str) else content
    fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "wb") as f:
            f.write(data)
        os.chmod(tmp, 0o644)  # mkstemp's 0600 would hide dumps from the user's other tools
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
    return path
