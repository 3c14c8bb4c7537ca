"""kiln-fold-zero-size: tensors without elements are folded away before anything tiles them.

A tensor with a zero-size dimension holds no data; only its shape matters.
Schedules, packing and vectorization assume at least one iteration (they
divide by and tile loop ranges), and crashed on a matmul with M, N or K of
0. This pass leaves them nothing of size zero to work on:

- every zero-element tensor (an op's result, a function or loop argument) is
  replaced by a ``tensor.empty`` of its shape;
- a structured op (``linalg.*``, ``tm_tensor.scatter``) reading a
  zero-element operand iterates zero times, so each of its results is its
  ``outs`` operand unchanged (a sum over an empty dimension is its zero
  fill, a matmul with K = 0 is its zero accumulator);
- ``tensor.insert_slice`` of a zero-element slice is its destination;
- a ``kiln.fusion_group`` whose results all have no elements is erased.

    %r = linalg.matmul ins(%a, %b : tensor<8x0xf32>, tensor<0x16xf32>) outs(%acc : ...)  ->  %r = %acc

With ``flatten-boundaries``, zero-element tensors cross an entry point's
boundary as ``tensor<0xT>``: the bare-pointer calling convention (the CPU
target's) cannot express the identity layout of, e.g., ``memref<8x0xf32>``
(its strides are undefined) and would fall back to descriptors the runtime
does not pass. Their contents being nothing, the caller's pointer is never
read or written.

Pre: tensors, before tiling.
Post: no op reads a zero-element tensor but ``tensor.empty`` ops, which
nothing reads either; the producers of zero-element tensors are dead (the
canonicalizer removes them). With ``flatten-boundaries``, every entry point
(a public function no ``func.call`` names) takes and returns zero-element
tensors as ``tensor<0xT>`` only.
"""

from __future__ import annotations

from kiln.passes.common import collect_ops, entry_functions
from kiln.passes.registry import KilnPass, register

from kiln.ir import ir, tensor

# Destination-style ops whose results are their outs operands when they iterate zero times.
ZERO_TRIP_PREFIXES = ("linalg.", "tm_tensor.scatter")


@register
class FoldZeroSize(KilnPass):
    """Replace zero-element tensors by empty ones and ops iterating zero times by their inits."""

    name = "kiln-fold-zero-size"

    flatten_boundaries: bool = False

    def run(self, module: ir.Operation) -> None:
        _erase_empty_groups(module)
        for op in collect_ops(module):
            for region in op.regions:
                for block in region.blocks:
                    _empty_arguments(block)
            _fold(op)
        if self.flatten_boundaries:
            called = {
                ir.FlatSymbolRefAttr(call.attributes["callee"]).value
                for call in collect_ops(module, ["func.call"])
            }
            for entry in entry_functions(module):
                if ir.StringAttr(entry.attributes["sym_name"]).value not in called:
                    _flatten_boundary(entry)


def has_no_elements(ty: ir.Type) -> bool:
    """True for a statically shaped ranked tensor type with a zero-size dimension."""
    if not isinstance(ty, ir.RankedTensorType):
        return False
    shaped = ir.RankedTensorType(ty)
    return shaped.has_static_shape and 0 in shaped.shape


def has_zero_dim(ty: ir.Type) -> bool:
    """True for a ranked tensor type with a static zero-size dimension (others may be dynamic)."""
    if not isinstance(ty, ir.RankedTensorType):
        return False
    shaped = ir.RankedTensorType(ty)
    return any(not shaped.is_dynamic_dim(i) and shaped.shape[i] == 0 for i in range(shaped.rank))


def _erase_empty_groups(module: ir.Operation) -> None:
    """A ``kiln.fusion_group`` whose results all have no elements computes nothing: its
    results become empty tensors and the group goes (left in place, its body would be
    folded away and the canonicalizer, which cannot erase the group, leave it empty)."""
    for group in collect_ops(module, ("kiln.fusion_group",)):
        if group.results and all(has_no_elements(r.type) for r in group.results):
            for result in group.results:
                _replace_by_empty(result, ir.InsertionPoint(group), group.location)
            group.erase()


def _replace_by_empty(value: ir.Value, ip: ir.InsertionPoint, loc: ir.Location) -> None:
    if not list(value.uses):
        return
    shaped = ir.RankedTensorType(value.type)
    with ip, loc:
        value.replace_all_uses_with(tensor.empty(shaped.shape, shaped.element_type))


def _empty_arguments(block: ir.Block) -> None:
    """Uses of the block's zero-element arguments read an empty tensor instead."""
    for argument in block.arguments:
        if has_no_elements(argument.type):
            owner = block.owner
            loc = owner.location if owner is not None else ir.Location.unknown()
            _replace_by_empty(argument, ir.InsertionPoint.at_block_begin(block), loc)


def _fold(op: ir.Operation) -> None:
    """Folds ``op``'s zero-element results, or the whole op if it iterates zero times."""
    if op.name == "tensor.empty":
        return
    for result in op.results:
        if has_no_elements(result.type):
            _replace_by_empty(result, ir.InsertionPoint(op), op.location)
    if _iterates_zero_times(op):
        inits = list(op.operands)[-len(op.results) :] if op.results else []
        for result, init in zip(op.results, inits, strict=True):
            if result.type == init.type:
                result.replace_all_uses_with(init)
    elif op.name == "tensor.insert_slice" and has_zero_dim(op.operands[0].type):
        op.results[0].replace_all_uses_with(op.operands[1])


def _iterates_zero_times(op: ir.Operation) -> bool:
    """A destination-style structured op with a zero-element operand: its loops are empty.

    Every operand of a structured op is read or written at some point of a
    non-empty iteration domain, so an operand with no element means no point.
    Its inits are its last operands, one per result: ops with ``ins``/``outs``
    segments say so in ``operandSegmentSizes``; ``linalg.reduce``, ``map``,
    ``transpose``, ``broadcast`` and ``softmax`` have no segments attribute and
    end with their inits too.
    """
    if not op.name.startswith(ZERO_TRIP_PREFIXES) or not op.results:
        return False
    if "operandSegmentSizes" in op.attributes:
        segments = list(ir.DenseI32ArrayAttr(op.attributes["operandSegmentSizes"]))
        if len(segments) != 2 or segments[1] != len(op.results):
            return False  # e.g. linalg.pack: padding and tile sizes follow its dest
    elif len(op.operands) <= len(op.results):
        return False
    return any(has_zero_dim(operand.type) for operand in op.operands)


def _flatten_boundary(entry: ir.Operation) -> None:
    """Zero-element arguments and results of ``entry`` become ``tensor<0xT>``."""
    block = entry.regions[0].blocks[0]
    for argument in block.arguments:
        if has_no_elements(argument.type):
            argument.set_type(_flat(argument.type))
    for ret in [op for op in block.operations if op.operation.name == "func.return"]:
        for index, value in enumerate(list(ret.operands)):
            if has_no_elements(value.type) and ir.RankedTensorType(value.type).rank != 1:
                with ir.InsertionPoint(ret), ret.location:
                    ret.operands[index] = tensor.empty(
                        [0], ir.RankedTensorType(value.type).element_type
                    )
    function_type = ir.FunctionType(ir.TypeAttr(entry.attributes["function_type"]).value)
    results = [_flat(t) if has_no_elements(t) else t for t in function_type.results]
    inputs = [argument.type for argument in block.arguments]
    entry.attributes["function_type"] = ir.TypeAttr.get(ir.FunctionType.get(inputs, results))


def _flat(ty: ir.Type) -> ir.Type:
    return ir.RankedTensorType.get(
        [0], ir.RankedTensorType(ty).element_type, loc=ir.Location.unknown()
    )
