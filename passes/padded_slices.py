"""Values padded at the end of some dimensions and read through a leading slice.

A kernel that runs whole register blocks pads its operand up to whole blocks
and slices its result back (``kiln-pack-contractions`` pads a contraction's M,
``kiln-pad-conv-rows`` a convolution's output width). Its elementwise
consumers then run over the padded shape as well, so that the fusion passes
see one iteration space: their other operands are padded with zeros in the
padded dimensions (an operand that lacks them, like a bias, is not), and their
result is sliced back. The padded rows compute values nobody reads, so a body
that could trap on them (integer division) must stay unpadded.
"""

from __future__ import annotations

from collections.abc import Sequence

from kiln.passes.common import body_op_names, defining_op, pad_high, static_shape

from kiln.ir import ir, tensor

# Ops that may trap on the padded rows' values (zeros).
TRAPPING = frozenset(
    (
        "arith.divsi",
        "arith.divui",
        "arith.remsi",
        "arith.remui",
        "arith.floordivsi",
        "arith.ceildivsi",
    )
)


def may_trap(op: ir.Operation) -> bool:
    """True if ``op``'s body has an op that traps on some operand values."""
    return bool(TRAPPING.intersection(body_op_names(op)))


def leading_slice_source(value: ir.Value) -> ir.Value | None:
    """The value ``value`` is a leading slice of (static, offsets 0, unit strides, same
    rank), or None."""
    op = defining_op(value)
    if op is None or op.name != "tensor.extract_slice" or len(op.operands) != 1:
        return None
    offsets = list(ir.DenseI64ArrayAttr(op.attributes["static_offsets"]))
    strides = list(ir.DenseI64ArrayAttr(op.attributes["static_strides"]))
    source, result = static_shape(op.operands[0]), static_shape(op.results[0])
    if source is None or result is None or len(source) != len(result):
        return None
    if any(o != 0 for o in offsets) or any(s != 1 for s in strides):
        return None
    return op.operands[0]


def leading_slice(value: ir.Value, shape: Sequence[int]) -> ir.Value:
    """The leading ``shape`` elements of ``value`` (same rank)."""
    source = static_shape(value)
    if source == list(shape):
        return value
    element = ir.ShapedType(value.type).element_type
    return tensor.extract_slice(
        ir.RankedTensorType.get(list(shape), element),
        value,
        [],
        [],
        [],
        [0] * len(shape),
        list(shape),
        [1] * len(shape),
    )


def padded_operand(value: ir.Value, want: Sequence[int]) -> ir.Value:
    """``value`` extended to shape ``want``: the source of a leading slice of that shape;
    a ``tensor.empty`` made at the new size; anything else padded with zeros."""
    if static_shape(value) == list(want):
        return value
    source = leading_slice_source(value)
    if source is not None and static_shape(source) == list(want):
        return source
    op = defining_op(value)
    if op is not None and op.name == "tensor.empty":
        return tensor.empty(list(want), ir.ShapedType(value.type).element_type)
    return pad_high(value, want)
