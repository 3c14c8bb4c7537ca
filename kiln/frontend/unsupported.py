"""Naming what the PyTorch frontend cannot compile: the PyTorch op and the user's line.

Failures deep inside torch.export's decompositions or torch-mlir's importer
are bare assertions, and torch-mlir's lowering diagnostics may be about an
op one of its conversions created (a ``tensor.cast``). Both are turned into
``UnsupportedOp`` entries naming the PyTorch op the user wrote.
"""

from __future__ import annotations

import re

import torch

from kiln.errors import (
    UnsupportedOp,
    UnsupportedOpsError,
    library_site,
    source_locations,
    user_location,
)
from kiln.frontend.export import first_line
from kiln.frontend.source import UNKNOWN, unsupported_node
from kiln.ir import MLIRError, ir


def frontend_error(err: Exception, what: str) -> UnsupportedOpsError:
    """``err`` raised while handling an FX node, as an error naming that node's op and line."""
    node = failing_node(err.__traceback__)
    reason = f"{what}: {type(err).__name__}: {first_line(err)}"
    if node is None:
        return UnsupportedOpsError([UnsupportedOp("(program)", UNKNOWN, reason)])
    return UnsupportedOpsError([unsupported_node(node, reason)])


def failing_node(tb):
    """The innermost FX node a frame of the traceback was working on (a local ``node``)."""
    found = None
    while tb is not None:
        node = tb.tb_frame.f_locals.get("node")
        if isinstance(node, torch.fx.Node) and node.op == "call_function":
            found = node
        tb = tb.tb_next
    return found


def diagnosed_ops(err: MLIRError, raw: ir.Operation) -> list[UnsupportedOp]:
    """The op torch-mlir's first error diagnostic is about, named as a PyTorch op.

    A diagnostic either names the torch op it failed to legalize, or comes
    from an op a conversion created (a ``tensor.cast``): then the PyTorch ops
    at the same source line of the raw module ``raw`` are the ones to blame.
    """
    if not err.error_diagnostics:
        return []
    diag = err.error_diagnostics[0]
    where = user_location(diag.location)
    named = re.search(r"operation '(?:torch\.)?([a-z_.0-9]+)'", diag.message)
    name = named.group(1) if named else " or ".join(torch_ops_at(raw, where)) or "(unknown)"
    return [UnsupportedOp(name, where, diag.message, inside=location_library_site(diag.location))]


def location_library_site(loc) -> str:
    """The model library's line (``kiln.errors.library_site``) of an MLIR location."""
    return library_site(source_locations(loc))


def torch_ops_at(module: ir.Operation, where: str) -> list[str]:
    """The distinct aten and prims ops of ``module`` at user location ``where``."""
    found = []

    def visit(op):
        name = op.operation.name
        if name.startswith(("torch.aten.", "torch.prims.")) and user_location(op.location) == where:
            short = name.removeprefix("torch.")
            if short not in found:
                found.append(short)
        return ir.WalkResult.ADVANCE

    module.walk(visit)
    return found
