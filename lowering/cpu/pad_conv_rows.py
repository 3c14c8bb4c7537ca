"""kiln-pad-conv-rows: convolutions whose output rows no pixel block divides compute padded rows.

The convolution schedule's register block is mr output pixels along a row
(``schedules.conv._pixel_block``: 4, 7, 6, 8, 5, 3 or 2, dividing the row).
A row of 13 or 17 pixels (Inception's 17 x 17 stage, SqueezeNet's and
AlexNet's 13 x 13) has none, and ran one-pixel blocks: each filter vector
loaded fed one FMA, 2.5x slower than eager. Here such a convolution computes
rows padded to whole 4- or 6-pixel blocks: its input gets zero columns on the right
(as many as the extra output pixels read), its destination the extra pixels,
and the result is sliced back. Its elementwise consumers (bias, ReLU, residual
add) run over the padded rows too (``padded_slices``), so the fusion groups
keep them with the convolution.

    %y = linalg.conv_2d_nhwc_hwcf ins(%x : 1x17x17x128, %w) outs(%o : 1x17x17x192)
    ->
    %y0 = linalg.conv_2d_nhwc_hwcf ins(pad(%x) : 1x17x18x128, %w) outs(pad(%o) : 1x17x18x192)
    %y = tensor.extract_slice %y0[0, 0, 0, 0] [1, 17, 17, 192] [1, 1, 1, 1]

Pre: linalg on tensors, after ``kiln-conv-to-nhwc``.
Post: every ``linalg.conv_2d_nhwc_hwcf`` with static shapes has an output
width that some pixel block divides (or 1); results are unchanged.
"""

from __future__ import annotations

from kiln.lowering.cpu.schedules.conv import PIXEL_BLOCKS
from kiln.passes.common import (
    collect_ops,
    defining_op,
    indexing_maps,
    iterator_types,
    map_dims,
    pad_high,
    static_shape,
    users,
    window_attr,
)
from kiln.passes.padded_slices import leading_slice, may_trap, padded_operand
from kiln.passes.registry import KilnPass, register

from kiln.ir import ir, linalg, tensor

# Padded rows are whole blocks of these (at two vectors of channels, 6 pixels still
# fit 16 registers): the fewest extra pixels, 17 -> 18, 13 -> 16.
ROW_BLOCKS = (4, 6)


@register
class PadConvRows(KilnPass):
    """Pad NHWC convolution rows that no pixel block divides up to whole blocks."""

    name = "kiln-pad-conv-rows"

    def run(self, module: ir.Operation) -> None:
        for conv in collect_ops(module, ("linalg.conv_2d_nhwc_hwcf",)):
            shapes = [static_shape(v) for v in (*conv.operands, conv.results[0])]
            if any(shape is None for shape in shapes):
                continue
            width = shapes[-1][2]
            if width == 1 or any(width % block == 0 for block in PIXEL_BLOCKS):
                continue
            _pad(conv, _padded_width(width))


def _padded_width(width: int) -> int:
    """The fewest pixels >= ``width`` that one of ``ROW_BLOCKS`` divides."""
    return min(-(-width // block) * block for block in ROW_BLOCKS)


def _pad(conv: ir.Operation, width: int) -> None:
    x, w, init = conv.operands
    batch, height, in_width, channels = static_shape(x)
    kernel_width = static_shape(w)[1]
    strides, dilations = window_attr(conv, "strides", 2), window_attr(conv, "dilations", 2)
    stride, dilation = strides[1], dilations[1]
    needed = (width - 1) * stride + (kernel_width - 1) * dilation + 1
    out_shape = static_shape(init)
    padded_shape = [*out_shape[:2], width, out_shape[3]]
    with ir.InsertionPoint(conv), conv.location:
        x = _widened_input(x, [batch, height, max(in_width, needed), channels])
        padded = linalg.conv_2d_nhwc_hwcf(
            x,
            w,
            outs=[_init(init, padded_shape)],
            strides=strides,
            dilations=dilations,
        )
        result = leading_slice(padded, out_shape)
    old_init = defining_op(init)
    conv.results[0].replace_all_uses_with(result)
    conv.erase()
    if old_init is not None and not users(init):
        old_init.erase()
    _pad_consumers(result)


def _widened_input(x: ir.Value, shape: list[int]) -> ir.Value:
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


def _init(init: ir.Value, shape: list[int]) -> ir.Value:
    """The destination at the padded shape: a fill or a bias broadcast used only here is
    made at that shape (not copied into a padded one)."""
    op = defining_op(init)
    if op is None or len(users(init)) != 1:
        return padded_operand(init, shape)
    if op.name == "linalg.fill":
        return linalg.fill(op.operands[0], outs=[padded_operand(op.operands[1], shape)])
    if op.name == "linalg.generic" and _parallel_over(op, static_shape(init)):
        return _generic_over(op, shape)  # the old one is erased with the convolution
    return padded_operand(init, shape)


def _pad_consumers(sliced: ir.Value) -> None:
    """Runs each elementwise consumer of the slice ``sliced`` over the padded shape, and
    so on down the chain."""
    source = defining_op(sliced).operands[0]
    padded = static_shape(source)
    for op in users(sliced):
        if _padded_elementwise(op, sliced):
            _pad_consumers(_rewrite_padded(op, padded))


def _padded_elementwise(op: ir.Operation, value: ir.Value) -> bool:
    """An all-parallel generic over ``value``'s shape reading it at the identity."""
    if not _parallel_over(op, static_shape(value)) or may_trap(op):
        return False
    identity = list(range(len(static_shape(value))))
    return any(
        operand == value and map_dims(m) == identity
        for operand, m in zip(list(op.operands)[:-1], indexing_maps(op), strict=False)
    )


def _parallel_over(op: ir.Operation, shape: list[int]) -> bool:
    """A one-result all-parallel generic of result shape ``shape``, identity output map
    and projected-permutation input maps."""
    if op.name != "linalg.generic" or len(op.results) != 1:
        return False
    if "reduction" in iterator_types(op) or static_shape(op.results[0]) != shape:
        return False
    maps = indexing_maps(op)
    identity = list(range(maps[-1].n_dims))
    return map_dims(maps[-1]) == identity and all(map_dims(m) is not None for m in maps)


def _rewrite_padded(op: ir.Operation, padded: list[int]) -> ir.Value:
    """``op`` over the padded loop sizes; returns its result sliced back."""
    with ir.InsertionPoint(op), op.location:
        result = leading_slice(_generic_over(op, padded), static_shape(op.results[0]))
    op.results[0].replace_all_uses_with(result)
    op.erase()
    return result


def _generic_over(op: ir.Operation, padded: list[int]) -> ir.Value:
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
