"""Reproducers: the IR a failing stage or tool run received, small and never overwritten.

A reproducer is written when a pipeline stage fails (``kiln.compile``,
``kiln-compile``) and when a kiln pass hits a bug (``kiln-opt`` too); the
error prints the file and the ``kiln-opt`` command that replays the failure.

Weights would make a reproducer as large as the model (690 MB for one of
them), so every dense or ``dense_resource`` constant of more than
``MAX_KEPT_ELEMENTS`` elements is replaced by a splat of its own type. The
replacement is kept only if the IR still fails the same way (the caller's
``fails_alike`` re-runs the failing step); otherwise the constants stay. With
``KILN_REPRO_KEEP_CONSTANTS=1`` they always stay.

Environment knobs (read here only):
- ``KILN_REPRO_DIR``: the folder (default ``<tmp>/kiln-repro``);
- ``KILN_REPRO_KEEP_CONSTANTS=1``: keep every constant as it is.
"""

from __future__ import annotations

import math
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

from kiln.files import atomic_write, short_hash
from kiln.ir import ir

MAX_KEPT_ELEMENTS = 256


def repro_dir() -> Path:
    """Where reproducers go: $KILN_REPRO_DIR, else <tmp>/kiln-repro."""
    return Path(os.environ.get("KILN_REPRO_DIR") or Path(tempfile.gettempdir()) / "kiln-repro")


def keep_constants() -> bool:
    """True when $KILN_REPRO_KEEP_CONSTANTS asks for reproducers with every constant."""
    return os.environ.get("KILN_REPRO_KEEP_CONSTANTS", "") not in ("", "0")


def module_text(module: ir.Module | ir.Operation) -> str:
    """Full, re-parseable text of a module (constants included)."""
    op = module.operation if isinstance(module, ir.Module) else module
    return op.get_asm(large_elements_limit=None, assume_verified=True)


def elide_large_constants(root: ir.Operation, max_elements: int = MAX_KEPT_ELEMENTS) -> int:
    """Replaces, in place, each elements attribute of more than ``max_elements`` by a splat.

    The splat has the attribute's own type (0.5 for floats, 1 for integers):
    the IR keeps its shapes and types, and no value that folds away (0, 1.0).
    Returns the number of attributes replaced.
    """
    found: list[tuple[ir.Operation, str, ir.Attribute]] = []

    def visit(op):
        for name in op.attributes:
            attr = op.attributes[name]
            if _is_large_elements(attr, max_elements):
                found.append((op.operation, name, attr))
        return ir.WalkResult.ADVANCE

    root.walk(visit)
    replaced = 0
    with root.context, ir.Location.unknown():
        for op, name, attr in found:
            splat = _splat_like(attr)
            if splat is not None:
                op.attributes[name] = splat
                replaced += 1
    return replaced


def _is_large_elements(attr: ir.Attribute, max_elements: int) -> bool:
    if isinstance(attr, ir.DenseElementsAttr):
        if attr.is_splat:
            return False
    elif not _is_dense_resource(attr):
        return False
    shape = ir.ShapedType(attr.type).shape
    return math.prod(shape) > max_elements


def _is_dense_resource(attr: ir.Attribute) -> bool:
    # The bindings give dense_resource no isinstance check nor typeid: try the cast.
    try:
        ir.DenseResourceElementsAttr(attr)
    except (ValueError, TypeError):
        return False
    return True


def _splat_like(attr: ir.Attribute) -> ir.Attribute | None:
    """A splat of ``attr``'s type, or None for element types without a scalar attribute."""
    element = ir.ShapedType(attr.type).element_type
    if isinstance(element, ir.FloatType):
        scalar = ir.FloatAttr.get(element, 0.5)
    elif isinstance(element, ir.IntegerType | ir.IndexType):
        scalar = ir.IntegerAttr.get(element, 1)
    else:
        return None
    return ir.DenseElementsAttr.get_splat(attr.type, scalar)


def reproducer_text(op: ir.Operation, fails_alike: Callable[[ir.Operation], bool]) -> str:
    """The text of ``op`` with large constants elided when that still fails alike.

    ``fails_alike(candidate)`` runs the failing step on a copy with the constants
    elided (it may change it) and says whether it fails exactly as ``op`` did.
    """
    if keep_constants():
        return module_text(op)
    candidate = op.clone(ip=False)
    try:
        if elide_large_constants(candidate) == 0:
            return module_text(op)
        text = module_text(candidate)
        return text if fails_alike(candidate) else module_text(op)
    finally:
        candidate.erase()


def write_reproducer(stem: str, text: str, header: str = "") -> str:
    """Writes ``text`` as ``<repro dir>/<stem>.<hash>.mlir``; returns the path.

    The hash covers the text, so two different failures never share a file and
    the printed replay command replays this one. ``header`` (e.g. a traceback)
    is written first as ``//`` comments. Raises OSError when the folder is unusable.
    """
    comment = "".join(f"// {line}".rstrip() + "\n" for line in header.splitlines())
    path = repro_dir() / f"{stem}.{short_hash(text)}.mlir"
    atomic_write(path, comment + text)
    return str(path)
