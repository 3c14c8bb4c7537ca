"""kiln's form of a grouped convolution on the CPU: NHWGC input, GHWCF filter, NHWGF output.

MLIR has no named op for this layout (``linalg.conv_2d_nhwgc_gfhwc`` keeps a
filter's output channels outside its input channels, so a register block of
output channels would read the filter with a stride). kiln writes it as a
``linalg.generic`` over the loops (n, oh, ow, g, f, kh, kw, c):

    out[n, oh, ow, g, f] += x[n, oh*sh + kh*dh, ow*sw + kw*dw, g, c] * w[g, kh, kw, c, f]

Each group's filter is then an HWCF filter, as for ``linalg.conv_2d_nhwc_hwcf``,
and its input and output channels are a contiguous run of the NHWC tensors
(``x`` is ``N x H x W x (G*C)`` split, ``out`` likewise). The group is a
parallel loop like the image: once a tile has one group, one image and one
output row it is a ``linalg.conv_1d_nwc_wcf`` (kiln-decompose-grouped-convs).
"""

from __future__ import annotations

from dataclasses import dataclass

from kiln.passes.common import body_op_names, iterator_types, static_shape

from kiln.ir import arith, ir, linalg

LOOPS = ("n", "oh", "ow", "g", "f", "kh", "kw", "c")
ITERATORS = ("parallel",) * 5 + ("reduction",) * 3


@dataclass(frozen=True)
class GroupedWindow:
    """Strides and dilations (height, width) of a grouped convolution."""

    strides: tuple[int, int]
    dilations: tuple[int, int]


def grouped_conv_maps(window: GroupedWindow) -> list[ir.AffineMap]:
    """The indexing maps (input, filter, output) of kiln's grouped convolution."""
    n, oh, ow, g, f, kh, kw, c = (ir.AffineDimExpr.get(i) for i in range(len(LOOPS)))
    (sh, sw), (dh, dw) = window.strides, window.dilations
    return [
        ir.AffineMap.get(8, 0, [n, oh * sh + kh * dh, ow * sw + kw * dw, g, c]),
        ir.AffineMap.get(8, 0, [g, kh, kw, c, f]),
        ir.AffineMap.get(8, 0, [n, oh, ow, g, f]),
    ]


def build_grouped_conv(x: ir.Value, w: ir.Value, init: ir.Value, window: GroupedWindow) -> ir.Value:
    """``init + conv(x, w)`` as kiln's grouped convolution (see module docstring).

    ``x`` is N x H x W x G x C, ``w`` G x KH x KW x C x F, ``init`` N x OH x OW x G x F.
    """
    maps = ir.ArrayAttr.get([ir.AffineMapAttr.get(m) for m in grouped_conv_maps(window)])
    kinds = ir.ArrayAttr.get(
        [ir.Attribute.parse(f"#linalg.iterator_type<{kind}>") for kind in ITERATORS]
    )
    op = linalg.GenericOp([init.type], [x, w], [init], maps, kinds)
    # torch-mlir accumulates f16/bf16 convolutions in f32: the block arguments
    # keep their operands' element types and the inputs are extended to the
    # accumulator's, as in the named op's body.
    types = [ir.ShapedType(v.type).element_type for v in (x, w, init)]
    body = op.regions[0].blocks.append(*types)
    with ir.InsertionPoint(body):
        lhs, rhs, acc = body.arguments
        lhs, rhs = (_extend(v, types[2]) for v in (lhs, rhs))
        if isinstance(types[2], ir.IntegerType):
            result = arith.addi(acc, arith.muli(lhs, rhs))
        else:
            result = arith.addf(acc, arith.mulf(lhs, rhs))
        linalg.YieldOp([result])
    return op.results[0]


def _extend(value: ir.Value, to: ir.Type) -> ir.Value:
    """``value`` extended to the accumulator type ``to`` (signed for integers)."""
    if value.type == to:
        return value
    if isinstance(to, ir.IntegerType):
        return arith.extsi(to, value)
    return arith.extf(to, value)


def grouped_window(op: ir.Operation) -> GroupedWindow | None:
    """The window of ``op`` if it is kiln's f32 grouped convolution with static shapes, else None."""
    if op.name != "linalg.generic" or len(op.operands) != 3 or len(op.results) != 1:
        return None
    if tuple(iterator_types(op)) != ITERATORS:
        return None
    if body_op_names(op) != ["arith.mulf", "arith.addf", "linalg.yield"]:
        return None
    if any(static_shape(v) is None for v in op.operands):
        return None
    if not all(isinstance(ir.ShapedType(v.type).element_type, ir.F32Type) for v in op.operands):
        return None
    dims = linalg.infer_convolution_dimensions(op)
    if dims is None or len(dims.strides) != 2 or len(dims.dilations) != 2:
        return None
    window = GroupedWindow(tuple(dims.strides), tuple(dims.dilations))
    actual = [ir.AffineMapAttr(a).value for a in ir.ArrayAttr(op.attributes["indexing_maps"])]
    if actual != grouped_conv_maps(window):
        return None
    block = op.regions[0].blocks[0]
    mul, add, _ = (inner.operation for inner in block.operations)
    args = list(block.arguments)
    if set(mul.operands) != {args[0], args[1]} or set(add.operands) != {mul.results[0], args[2]}:
        return None
    return window


def grouped_loop_sizes(op: ir.Operation) -> tuple[int, ...]:
    """(n, oh, ow, g, f, kh, kw, c) of kiln's grouped convolution ``op``."""
    n, oh, ow, g, f = static_shape(op.results[0])
    _, kh, kw, c, _ = static_shape(op.operands[1])
    return (n, oh, ow, g, f, kh, kw, c)
