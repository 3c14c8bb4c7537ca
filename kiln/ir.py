"""The one place kiln imports MLIR's Python bindings from.

kiln runs on the upstream MLIR bindings that the torch-mlir wheel bundles under
``torch_mlir.*``. Every other kiln module imports them from here, so a change of
wheel or a binding rename touches this file only. Importing this module does not
import torch (``kiln-opt`` must start fast).
"""

from __future__ import annotations

from torch_mlir import ir, rewrite
from torch_mlir.dialects import (
    affine,
    arith,
    bufferization,
    builtin,
    ext,
    func,
    gpu,
    irdl,
    linalg,
    llvm,
    math,
    memref,
    scf,
    tensor,
    transform,
    vector,
)
from torch_mlir.dialects.transform import interpreter as transform_interpreter
from torch_mlir.dialects.transform import loop as transform_loop
from torch_mlir.dialects.transform import structured as transform_structured
from torch_mlir.dialects.transform import vector as transform_vector
from torch_mlir.passmanager import ExternalPass, PassManager

__all__ = [
    "ExternalPass",
    "MLIRError",
    "PassManager",
    "affine",
    "arith",
    "bufferization",
    "builtin",
    "ext",
    "func",
    "gpu",
    "ir",
    "irdl",
    "linalg",
    "llvm",
    "math",
    "memref",
    "new_context",
    "parse_module",
    "rewrite",
    "scf",
    "tensor",
    "transform",
    "transform_interpreter",
    "transform_loop",
    "transform_structured",
    "transform_vector",
    "vector",
]

MLIRError = ir.MLIRError


def new_context() -> ir.Context:
    """A context with every upstream dialect, torch-mlir's and kiln's.

    torch-mlir's ``tm_tensor`` dialect cannot be registered from Python; it
    is loaded by running (on an empty module) a pass that depends on it, so
    that reproducers containing tm_tensor ops parse.
    """
    from torch_mlir.dialects import torch as torch_dialect

    from kiln.dialects import load_kiln_dialect

    ctx = ir.Context()
    torch_dialect.register_dialect(ctx)
    empty = ir.Module.parse("module {}", ctx)
    PassManager.parse("builtin.module(func.func(convert-torch-to-tmtensor))", ctx).run(
        empty.operation
    )
    load_kiln_dialect(ctx)
    return ctx


def parse_module(text: str, ctx: ir.Context, first_line: int = 1) -> ir.Module:
    """Parses MLIR text into a module of ``ctx``.

    ``first_line`` is the line of ``text`` within its file (for chunks of a
    split input file): diagnostics then report the file's own line numbers.
    Raises ``MLIRError`` whose diagnostics are located at ``"-":line:col``.
    """
    return ir.Module.parse("\n" * (first_line - 1) + text, ctx)
