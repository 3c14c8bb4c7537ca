"""The one place kiln imports MLIR's Python bindings from.

kiln runs on the upstream MLIR bindings that the torch-mlir wheel bundles under
``torch_mlir.*``. Every other kiln module imports them from here, so a change of
wheel or a binding rename touches this file only. Importing this module does not
import torch (``kiln-opt`` must start fast).
"""

from __future__ import annotations

import ctypes
import os
from functools import lru_cache

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
    x86,
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
    "apply_named_sequence",
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
    "x86",
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


class _Handle(ctypes.Structure):
    """An MLIR C API handle: a struct holding one pointer (MlirOperation, ...)."""

    _fields_ = [("ptr", ctypes.c_void_p)]


@lru_cache(maxsize=1)
def _transform_capi() -> ctypes.PyDLL:
    # PyDLL: the call keeps the GIL, so Python diagnostic handlers run inside it.
    path = os.path.join(os.path.dirname(ir.__file__), "_mlir_libs", "libTorchMLIRAggregateCAPI.so")
    lib = ctypes.PyDLL(path)
    lib.mlirTransformOptionsCreate.restype = _Handle
    lib.mlirTransformOptionsDestroy.argtypes = [_Handle]
    lib.mlirTransformApplyNamedSequence.restype = ctypes.c_int8  # MlirLogicalResult
    lib.mlirTransformApplyNamedSequence.argtypes = [_Handle] * 4
    return lib


def _handle(obj) -> _Handle:
    capsule = obj._CAPIPtr
    get_name = ctypes.pythonapi.PyCapsule_GetName
    get_name.restype, get_name.argtypes = ctypes.c_char_p, [ctypes.py_object]
    get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
    get_pointer.restype, get_pointer.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
    return _Handle(get_pointer(capsule, get_name(capsule)))


def dense_bits(attr: ir.DenseElementsAttr):
    """The elements of a non-splat dense attribute of 16-bit floats (bf16, which numpy
    has no dtype for) as their uint16 bit patterns, in ``attr``'s shape: its raw
    storage, read through the C API (the bindings' buffer protocol rejects bf16)."""
    import numpy as np

    lib = _transform_capi()
    lib.mlirDenseElementsAttrGetRawData.restype = ctypes.c_void_p
    lib.mlirDenseElementsAttrGetRawData.argtypes = [_Handle]
    shape = list(ir.ShapedType(attr.type).shape)
    count = int(np.prod(shape)) if shape else 1
    pointer = lib.mlirDenseElementsAttrGetRawData(_handle(attr))
    raw = (ctypes.c_uint16 * count).from_address(pointer)
    return np.array(raw, dtype=np.uint16).reshape(shape)


def apply_named_sequence(
    payload: ir.Operation, sequence: ir.Operation, transform_module: ir.Operation
) -> bool:
    """Runs a transform sequence on ``payload``; True on success.

    Unlike ``transform_interpreter.apply_named_sequence`` (which folds every
    diagnostic into the text of one ValueError), the interpreter's diagnostics
    go to the context's handlers with their locations and notes.
    """
    lib = _transform_capi()
    options = lib.mlirTransformOptionsCreate()
    try:
        ops = (payload.operation, sequence.operation, transform_module.operation)
        return bool(lib.mlirTransformApplyNamedSequence(*map(_handle, ops), options))
    finally:
        lib.mlirTransformOptionsDestroy(options)
