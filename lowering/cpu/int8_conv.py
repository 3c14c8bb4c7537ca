"""kiln's form of an int8 convolution on the CPU: u8 NHWC input, s8 HWCF filter, i32 output.

``linalg.conv_2d_nhwc_hwcf`` extends integer operands as signed, but ``vpdpbusd``
multiplies *unsigned* activation bytes by signed filter bytes, and a quantized
model's activations are u8. kiln writes the convolution as a ``linalg.generic``
over the loops (n, oh, ow, f, kh, kw, c), the named op's loops, with the
extensions spelled out:

    out[n, oh, ow, f] += zext(x[n, oh*sh + kh*dh, ow*sw + kw*dw, c]) * sext(w[kh, kw, c, f])

``kiln-int8-convs`` builds it, the convolution schedule tiles it like the named op
(``schedules/conv.py``), and ``kiln-int8-conv-blocks`` turns each register tile into
the ``vpdpbusd`` block contraction.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiln.passes.common import body_op_names, iterator_types, static_shape

from kiln.ir import arith, ir, linalg

ITERATORS = ("parallel",) * 4 + ("reduction",) * 3
QUAD = 4  # input channels per vpdpbusd lane: the reduction step of a tile
BODY = ["arith.extui", "arith.extsi", "arith.muli", "arith.addi", "linalg.yield"]


@dataclass(frozen=True)
class Int8Window:
    """Strides and dilations (height, width) of an int8 convolution."""

    strides: tuple[int, int]
    dilations: tuple[int, int]


def int8_conv_maps(window: Int8Window) -> list[ir.AffineMap]:
    """The indexing maps (input, filter, output) of kiln's int8 convolution."""
    n, oh, ow, f, kh, kw, c = (ir.AffineDimExpr.get(i) for i in range(7))
    (sh, sw), (dh, dw) = window.strides, window.dilations
    return [
        ir.AffineMap.get(7, 0, [n, oh * sh + kh * dh, ow * sw + kw * dw, c]),
        ir.AffineMap.get(7, 0, [kh, kw, c, f]),
        ir.AffineMap.get(7, 0, [n, oh, ow, f]),
    ]


def build_int8_conv(x: ir.Value, w: ir.Value, init: ir.Value, window: Int8Window) -> ir.Value:
    """``init + conv(zext(x), sext(w))`` in i32: ``x`` N x H x W x C (u8 in i8), ``w``
    KH x KW x C x F (s8), ``init`` N x OH x OW x F (i32)."""
    maps = ir.ArrayAttr.get([ir.AffineMapAttr.get(m) for m in int8_conv_maps(window)])
    kinds = ir.ArrayAttr.get(
        [ir.Attribute.parse(f"#linalg.iterator_type<{kind}>") for kind in ITERATORS]
    )
    op = linalg.GenericOp([init.type], [x, w], [init], maps, kinds)
    i8, i32 = ir.IntegerType.get_signless(8), ir.IntegerType.get_signless(32)
    body = op.regions[0].blocks.append(i8, i8, i32)
    with ir.InsertionPoint(body):
        qx, qw, acc = body.arguments
        product = arith.muli(arith.extui(i32, qx), arith.extsi(i32, qw))
        linalg.YieldOp([arith.addi(acc, product)])
    return op.results[0]


def int8_conv_window(op: ir.Operation) -> Int8Window | None:
    """The window of ``op`` if it is kiln's int8 convolution with static shapes, else None."""
    if op.name != "linalg.generic" or len(op.operands) != 3 or len(op.results) != 1:
        return None
    if tuple(iterator_types(op)) != ITERATORS or body_op_names(op) != BODY:
        return None
    if any(static_shape(v) is None for v in op.operands):
        return None
    widths = [ir.ShapedType(v.type).element_type for v in op.operands]
    if not all(isinstance(t, ir.IntegerType) for t in widths):
        return None
    if [ir.IntegerType(t).width for t in widths] != [8, 8, 32]:
        return None
    dims = linalg.infer_convolution_dimensions(op)
    if dims is None or len(dims.strides) != 2 or len(dims.dilations) != 2:
        return None
    window = Int8Window(tuple(dims.strides), tuple(dims.dilations))
    actual = [ir.AffineMapAttr(a).value for a in ir.ArrayAttr(op.attributes["indexing_maps"])]
    if actual != int8_conv_maps(window):
        return None
    block = op.regions[0].blocks[0]
    zext, sext, mul, add, _ = (inner.operation for inner in block.operations)
    x, w, acc = block.arguments
    if zext.operands[0] != x or sext.operands[0] != w:
        return None
    if set(mul.operands) != {zext.results[0], sext.results[0]}:
        return None
    return window if set(add.operands) == {mul.results[0], acc} else None


def int8_conv_loop_sizes(op: ir.Operation) -> tuple[int, ...]:
    """(n, oh, ow, f, kh, kw, c) of kiln's int8 convolution ``op``."""
    n, oh, ow, f = static_shape(op.results[0])
    kh, kw, c, _ = static_shape(op.operands[1])
    return (n, oh, ow, f, kh, kw, c)
