"""Refuses models whose tensors cannot fit in this machine's memory.

A static shape of, say, 2**20 x 2**20 floats compiles fine, but the code
would ``malloc`` 4 TiB (or map a 4 TiB global) and crash when it fails.
``check_buffer_sizes`` looks at every statically shaped tensor of the
linalg-level module (each op's results, each entry point's inputs and
outputs) before any pass runs, and raises ``BufferTooLargeError`` naming
each tensor that is larger than the machine's memory, with its shape, size
and the line of the user's model it comes from.

Tensors with dynamic dimensions are checked at call time instead, as far as
the runtime allocates them (outputs, ``kiln.runtime.compiled``).
"""

from __future__ import annotations

import os

from kiln.errors import BufferTooLargeError, user_location
from kiln.ir import ir

MAX_LISTED = 10


def machine_memory_bytes() -> int:
    """Physical memory plus swap: no single buffer can be larger than this."""
    physical = os.sysconf("SC_PAGE_SIZE") * os.sysconf("SC_PHYS_PAGES")
    try:
        with open("/proc/meminfo") as meminfo:
            for line in meminfo:
                if line.startswith("SwapTotal:"):
                    return physical + int(line.split()[1]) * 1024
    except OSError:
        pass
    return physical


def human_bytes(count: float) -> str:
    for unit in ("B", "KiB", "MiB", "GiB", "TiB", "PiB"):
        if count < 1024 or unit == "PiB":
            return f"{count:.1f} {unit}" if unit != "B" else f"{int(count)} B"
        count /= 1024
    raise AssertionError("unreachable")


def tensor_bytes(ty: ir.Type) -> int | None:
    """The size of a statically shaped ranked tensor, None for anything else."""
    if not isinstance(ty, ir.RankedTensorType):
        return None
    tensor = ir.RankedTensorType(ty)
    if not tensor.has_static_shape:
        return None
    count = 1
    for size in tensor.shape:
        count *= size
    width = _element_bits(tensor.element_type)
    return None if width is None else count * max(width, 8) // 8


def check_buffer_sizes(
    module: ir.Module, limit: int | None = None, source_name: str | None = None
) -> None:
    """Raises ``BufferTooLargeError`` if a tensor of ``module`` is over ``limit`` bytes.

    ``limit`` defaults to ``machine_memory_bytes()``; ``source_name`` is the
    file the module was parsed from (it replaces MLIR's ``-`` in locations).
    """
    limit = machine_memory_bytes() if limit is None else limit
    found: dict[tuple[str, str], str] = {}

    def visit(op: ir.Operation) -> ir.WalkResult:
        op = op.operation
        if op.name == "func.func":
            for arg in op.regions[0].blocks[0].arguments if op.regions[0].blocks else []:
                _note(found, arg.type, f"input {arg.arg_number}", op.location, limit, source_name)
        for result in op.results:
            _note(found, result.type, op.name, op.location, limit, source_name)
        return ir.WalkResult.ADVANCE

    module.operation.walk(visit)
    if found:
        lines = [
            f"kiln cannot compile this model: {len(found)} tensor(s) are larger than "
            f"this machine's memory ({human_bytes(limit)}):"
        ]
        lines += [f"  {text}" for text in list(found.values())[:MAX_LISTED]]
        if len(found) > MAX_LISTED:
            lines.append(f"  ... and {len(found) - MAX_LISTED} more")
        raise BufferTooLargeError("\n".join(lines))


def _note(found: dict, ty, what: str, loc, limit: int, source_name: str | None) -> None:
    size = tensor_bytes(ty)
    if size is None or size <= limit:
        return
    where = user_location(loc)
    if source_name and where.startswith("-:"):
        where = source_name + where[1:]
    key = (str(ty), where)
    if key not in found:
        found[key] = f"{ty} ({human_bytes(size)}) from {what} at {where}"


def _element_bits(ty: ir.Type) -> int | None:
    if isinstance(ty, ir.IntegerType):
        return ir.IntegerType(ty).width
    if isinstance(ty, ir.FloatType):
        return ir.FloatType(ty).width
    if isinstance(ty, ir.ComplexType):
        inner = _element_bits(ir.ComplexType(ty).element_type)
        return None if inner is None else 2 * inner
    if isinstance(ty, ir.IndexType):
        return 64
    return None
