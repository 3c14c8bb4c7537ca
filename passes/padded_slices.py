"""Values padded at the end of some dimensions and read through a leading slice.

A kernel that runs whole register blocks pads its operand up to whole blocks
and slices its result back (``kiln-pack-contractions`` pads a contraction's M,
``kiln-pad-conv-rows`` a convolution's output width, ``kiln-pad-conv-channels``
its channels). Its elementwise consumers then run over the padded shape as
well (``pad_consumers``), so that the fusion passes see one iteration space:
their other operands are padded with zeros in the padded dimensions (an
operand of a bias's shape is padded in the dimensions it has), and their
result is sliced back. The padded rows compute values nobody reads, so a body
that could trap on them (integer division) must stay unpadded. The kernel's
own operands: ``widened_input`` (zeros appended, or the zero fill it was
inserted into made wider), ``padded_init`` (the destination made at the
padded shape).
"""

from __future__ import annotations

from collections.abc import Sequence

from kiln.passes.common import (
    body_op_names,
    defining_op,
    indexing_maps,
    iterator_types,
    map_dims,
    pad_high,
    static_shape,
    users,
)

from kiln.ir import ir, linalg, tensor

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


def widened_input(x: ir.Value, shape: list[int]) -> ir.Value:
    """``x`` with zero columns up to ``shape``. An input already padded by inserting it
    into a zero fill (``kiln-conv-to-nhwc``'s padding) is inserted into a wider fill
    instead of being copied once more."""
    if static_shape(x) == shape:
        return x
    insert = defining_op(x)
    fill = (
        defining_op(insert.operands[1]) if insert and insert.name == "tensor.insert_slice" else None
    )
    if (
        fill is None
        or fill.name != "linalg.fill"
        or len(users(x)) != 1
        or len(insert.operands) != 2
    ):
        return pad_high(x, shape)
    if len(users(fill.results[0])) != 1:
        return pad_high(x, shape)
    element = ir.ShapedType(x.type).element_type
    wider = linalg.fill(fill.operands[0], outs=[tensor.empty(shape, element)])
    return tensor.insert_slice(
        insert.operands[0],
        wider,
        [],
        [],
        [],
        insert.attributes["static_offsets"],
        insert.attributes["static_sizes"],
        insert.attributes["static_strides"],
    )


def padded_init(init: ir.Value, shape: list[int]) -> ir.Value:
    """The destination at the padded shape: a fill or a bias broadcast used only here is
    made at that shape (not copied into a padded one)."""
    op = defining_op(init)
    if op is None or len(users(init)) != 1:
        return padded_operand(init, shape)
    if op.name == "linalg.fill":
        return linalg.fill(op.operands[0], outs=[padded_operand(op.operands[1], shape)])
    if op.name == "linalg.generic" and parallel_over(op, static_shape(init)):
        return generic_over(op, shape)  # the old one is erased with the convolution
    return padded_operand(init, shape)


def replace_with_padded(op: ir.Operation, padded: ir.Value) -> None:
    """Replaces the kernel ``op`` (destination last) by ``padded``, its padded rebuild:
    ``op``'s users read a leading slice of it, ``op``'s old destination goes with ``op``
    when nothing else uses it, and the elementwise consumers run over the padded shape
    (``pad_consumers``)."""
    init = op.operands[-1]
    with ir.InsertionPoint(op), op.location:
        result = leading_slice(padded, static_shape(op.results[0]))
    old_init = defining_op(init)
    op.results[0].replace_all_uses_with(result)
    op.erase()
    if old_init is not None and not users(init):
        old_init.erase()
    pad_consumers(result)


def pad_consumers(sliced: ir.Value) -> None:
    """Runs each elementwise consumer of the slice ``sliced`` over the padded shape, and
    so on down the chain."""
    source = defining_op(sliced).operands[0]
    padded = static_shape(source)
    for op in users(sliced):
        if padded_elementwise(op, sliced):
            pad_consumers(rewrite_padded(op, padded))


def padded_elementwise(op: ir.Operation, value: ir.Value) -> bool:
    """An all-parallel generic over ``value``'s shape reading it at the identity."""
    if not parallel_over(op, static_shape(value)) or may_trap(op):
        return False
    identity = list(range(len(static_shape(value))))
    return any(
        operand == value and map_dims(m) == identity
        for operand, m in zip(list(op.operands)[:-1], indexing_maps(op), strict=False)
    )


def parallel_over(op: ir.Operation, shape: list[int]) -> bool:
    """A one-result all-parallel generic of result shape ``shape``, identity output map
    and projected-permutation input maps."""
    if op.name != "linalg.generic" or len(op.results) != 1:
        return False
    if "reduction" in iterator_types(op) or static_shape(op.results[0]) != shape:
        return False
    maps = indexing_maps(op)
    identity = list(range(maps[-1].n_dims))
    return map_dims(maps[-1]) == identity and all(map_dims(m) is not None for m in maps)


def rewrite_padded(op: ir.Operation, padded: list[int]) -> ir.Value:
    """``op`` over the padded loop sizes; returns its result sliced back."""
    with ir.InsertionPoint(op), op.location:
        result = leading_slice(generic_over(op, padded), static_shape(op.results[0]))
    op.results[0].replace_all_uses_with(result)
    op.erase()
    return result


def generic_over(op: ir.Operation, padded: list[int]) -> ir.Value:
    """A copy of the generic ``op`` over loop sizes ``padded`` (its body moved over, its
    operands extended by ``padded_operand``), at the current insertion point."""
    operands = [
        padded_operand(value, [padded[d] for d in map_dims(amap)])
        for value, amap in zip(op.operands, indexing_maps(op), strict=True)
    ]
    generic = linalg.GenericOp(
        [operands[-1].type],
        operands[:-1],
        operands[-1:],
        op.attributes["indexing_maps"],
        op.attributes["iterator_types"],
    )
    op.regions[0].blocks[0].append_to(generic.regions[0])
    return generic.result
