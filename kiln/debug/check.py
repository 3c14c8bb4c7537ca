"""Does a pass pipeline change what a function computes? The question a reduced test asks.

``check_passes(text, passes)`` runs the function as it is and after
``passes``, both finished by the reference lowering, on the same seeded
random buffers, and compares the answers. ``kiln-bisect --check`` and the
reduced tests it writes are this function.

Entry functions on tensors are called with random inputs and compared on
their results; bufferized ones (memref arguments, results as out-params) are
called with every buffer random and compared on every buffer afterwards.
"""

from __future__ import annotations

from collections.abc import Sequence

import numpy as np

from kiln.debug.carve import entry_function
from kiln.debug.reference import ir_level, lower_to_llvm
from kiln.debug.runner import (
    DEFAULT_ATOL,
    DEFAULT_RTOL,
    Mismatch,
    compare,
    random_like_spec,
    run_entry,
    zeros_like_spec,
)
from kiln.driver import run_pipeline
from kiln.errors import KilnError
from kiln.ir import ir, new_context, parse_module
from kiln.pipeline import Pipeline, Stage
from kiln.runtime.signature import TensorSpec, entry_signature, tensor_spec


def check_passes(
    text: str,
    passes: Sequence[str],
    seed: int = 0,
    rtol: float = DEFAULT_RTOL,
    atol: float = DEFAULT_ATOL,
    threads: int = 1,
) -> Mismatch | None:
    """Where ``passes`` change the answer of ``text``'s entry function, or None.

    Pre: one public function with static shapes, at the tensor or memref level.
    """
    ctx = new_context()
    module = parse_module(text, ctx)
    name, inputs, outputs, compared = _buffers(module, seed)
    before = [b.copy() for b in (*inputs, *outputs)]
    after = [b.copy() for b in (*inputs, *outputs)]
    run_entry(lower_to_llvm(module), name, before, threads)
    changed = parse_module(text, ctx)
    run_pipeline(changed, Pipeline("check", (Stage("passes", tuple(passes)),)), name=name)
    run_entry(lower_to_llvm(changed), name, after, threads)
    return compare([after[i] for i in compared], [before[i] for i in compared], rtol, atol)


def _buffers(module: ir.Module, seed: int):
    """(entry name, random inputs, zeroed outputs, indices of the buffers to compare)."""
    rng = np.random.default_rng(seed)
    level = ir_level(module)
    if level == "tensor":
        signature = entry_signature(module, _entry_name(module))
        inputs = [random_like_spec(s, rng) for s in signature.inputs]
        outputs = [zeros_like_spec(s) for s in signature.outputs]
        first = len(inputs)
        return signature.name, inputs, outputs, list(range(first, first + len(outputs)))
    if level == "memref":
        fn = entry_function(module)
        ftype = ir.FunctionType(ir.TypeAttr(fn.attributes["function_type"]).value)
        specs = [_memref_spec(t) for t in ftype.inputs]
        buffers = [random_like_spec(s, rng) for s in specs]
        return _entry_name(module), buffers, [], list(range(len(buffers)))
    raise KilnError("kiln-bisect --check: the input is already LLVM dialect; give it the IR before")


def _entry_name(module: ir.Module) -> str:
    return ir.StringAttr(entry_function(module).attributes["sym_name"]).value


def _memref_spec(ty: ir.Type) -> TensorSpec:
    if not isinstance(ty, ir.MemRefType):
        raise KilnError(f"kiln-bisect --check: entry arguments must be memrefs, got {ty}")
    shaped = ir.MemRefType(ty)
    with ir.Location.unknown(ty.context):
        return tensor_spec(ir.RankedTensorType.get(shaped.shape, shaped.element_type))
