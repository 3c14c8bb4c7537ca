"""kiln-int8-convs: quantized convolutions as u8 x s8 -> i32 NHWC convolutions (AVX512-VNNI).

A quantized model's convolution reads ``dequant(qx)`` (u8 or s8 activations, one scale
sa and zero point za), often zero-padded in f32, and ``dequant(qw)`` (an s8 constant
filter, a scale sw[f] per output channel, zero point 0). Its answer is

    out[n, f, oh, ow] = init + sa * sw[f] * (sum qx[window] * qw[f] - za * sum qw[f])

The padding is exact in integers: PyTorch pads the *float* input with 0.0, which is
``dequant(za)``, so the u8 input is padded with za and the za term holds at every
output pixel, the border ones included. The rewrite:

    conv_2d_nchw_fchw ins(pad(dequant(qx), 0.0), dequant(qw)) outs(init)
      ->
    transpose(epilogue(int8_conv(pad(transpose(qx), za), qw_hwcf), init), NCHW)

- the input, NHWC, padded with za spatially and with za channels up to C4, a multiple
  of 4 (``vpdpbusd`` reads channel quads), in a fill + ``insert_slice`` the producer
  writes into (as ``kiln-conv-to-nhwc`` pads);
- the filter an s8 HWCF constant (computed here, C zero-padded: padded channels add 0);
- ``int8_conv.py``'s i32 convolution (zero init);
- an f32 epilogue ``init + f32(acc - za * filter_sum[f]) * (sa * sw[f])``, the filter
  sums and the scales computed here, then the transpose back to NCHW that elementwise
  fusion cancels against the next layer's.

An s8 activation is read as u8 shifted by 128 (``q ^ 0x80``, zero point za + 128).

Applies to static, ungrouped ``linalg.conv_2d_nchw_fchw`` whose filter is a
per-output-channel dequantized s8 constant (zero point 0), whose input is a dequantized
activation (through a ``tensor.pad`` of H and W by 0.0 at most) and whose output
channels are a multiple of 16 (``vpdpbusd``'s i32 lanes). Depthwise and grouped
convolutions, and every other convolution, stay f32.

Pre: linalg-on-tensors, before ``kiln-fold-constant-layout`` folds the filters'
dequantization and before ``kiln-conv-to-nhwc``.
Post: each convolution so matched is an i32 ``int8_conv`` with an f32 epilogue.
"""

from __future__ import annotations

import numpy as np
from kiln.lowering.cpu.int8_conv import Int8Window, build_int8_conv
from kiln.lowering.cpu.quantized_operands import (
    Activation,
    Weight,
    dequantized_activation,
    dequantized_filter,
)
from kiln.passes.common import (
    affine_map,
    build_generic,
    collect_ops,
    defining_op,
    dense_constant,
    single_result,
    static_shape,
    tensor_type,
)
from kiln.passes.registry import KilnPass, register

from kiln.ir import arith, bufferization, ir, linalg, tensor

CONV = "linalg.conv_2d_nchw_fchw"
LANES = 16  # i32 lanes of one vpdpbusd accumulator
QUAD = 4  # channels per vpdpbusd lane
I32_LIMIT = 1 << 31
TO_NHWC = [0, 2, 3, 1]


@register
class Int8Convs(KilnPass):
    """Rewrite convolutions of dequantized u8/s8 activations and s8 filters into i32 ones."""

    name = "kiln-int8-convs"

    def run(self, module: ir.Operation) -> None:
        for op in collect_ops(module, [CONV]):
            plan = _plan(op)
            if plan is None:
                continue
            with ir.InsertionPoint(op), op.location:
                result = _rewrite(op, *plan)
            op.results[0].replace_all_uses_with(result)
            op.erase()


def _plan(op: ir.Operation):
    """(activation, [top, left, bottom, right] padding, filter) of a convolution this
    pass rewrites, else None."""
    if any(static_shape(v) is None for v in op.operands):
        return None
    if not isinstance(ir.ShapedType(op.operands[2].type).element_type, ir.F32Type):
        return None
    x, padding = _unpadded(op.operands[0])
    activation = dequantized_activation(x)
    weight = dequantized_filter(op.operands[1])
    if activation is None or activation.reshapes or weight is None:
        return None
    features, channels, kh, kw = weight.q.shape
    if features % LANES:
        return None
    # |sum qx qw| <= K * 255 * 128, and the zero point's term as much again.
    if 2 * channels * kh * kw * 255 * 128 >= I32_LIMIT:
        return None
    return activation, padding, weight


def _unpadded(x: ir.Value) -> tuple[ir.Value, list[int]]:
    """(source, [top, left, bottom, right]) of a ``tensor.pad`` of H and W by the float
    constant 0.0 (``x`` itself and no padding otherwise)."""
    pad = defining_op(x)
    if pad is None or pad.name != "tensor.pad" or len(pad.operands) != 1:
        return x, [0, 0, 0, 0]
    low = list(ir.DenseI64ArrayAttr(pad.attributes["static_low"]))
    high = list(ir.DenseI64ArrayAttr(pad.attributes["static_high"]))
    if low[:2] != [0, 0] or high[:2] != [0, 0] or not _pads_with_zero(pad):
        return x, [0, 0, 0, 0]
    return pad.operands[0], [low[2], low[3], high[2], high[3]]


def _pads_with_zero(pad: ir.Operation) -> bool:
    """The pad's region yields the float constant 0.0 (dequant(za) exactly)."""
    value = list(pad.regions[0].blocks[0].operations)[-1].operands[0]
    const = defining_op(value)
    if const is None or const.name != "arith.constant":
        return False
    attr = const.attributes["value"]
    return isinstance(attr, ir.FloatAttr) and ir.FloatAttr(attr).value == 0.0


def _rewrite(op: ir.Operation, a: Activation, padding: list[int], weight: Weight) -> ir.Value:
    """The i32 convolution of ``op``, its epilogue and the transpose back to NCHW."""
    i32 = ir.IntegerType.get_signless(32)
    features, channels = weight.q.shape[:2]
    quads = -(-channels // QUAD) * QUAD
    x = _padded_input(a, padding, quads)
    hwcf = np.transpose(weight.q, [2, 3, 1, 0])
    hwcf = np.pad(hwcf, [(0, 0), (0, 0), (0, quads - channels), (0, 0)])
    w = dense_constant(np.ascontiguousarray(hwcf), ir.IntegerType.get_signless(8))
    n, _, oh, ow = static_shape(op.results[0])
    zero = single_result(
        linalg.fill(arith.constant(i32, 0), outs=[tensor.empty([n, oh, ow, features], i32)])
    )
    window = Int8Window(*(_pair(op, name) for name in ("strides", "dilations")))
    sums = build_int8_conv(x, w, zero, window)
    filter_sums = weight.q.astype(np.int64).sum(axis=(1, 2, 3))
    terms = dense_constant((a.zero_point * filter_sums).astype(np.int32), i32)
    scales = dense_constant((np.float32(a.scale) * weight.scale).astype(np.float32), _f32())
    rescaled = _epilogue(sums, terms, scales, op.operands[2])
    empty = tensor.empty(static_shape(op.results[0]), _f32())
    return single_result(linalg.transpose(rescaled, outs=[empty], permutation=[0, 3, 1, 2]))


def _padded_input(a: Activation, padding: list[int], quads: int) -> ir.Value:
    """The activation's integers, NHWC (an s8 one shifted to u8), padded with za around
    H and W and with za channels up to ``quads``."""
    i8 = ir.IntegerType.get_signless(8)
    n, c, h, w = static_shape(a.q)
    nhwc = _to_nhwc(a.q, a.signed)
    top, left, bottom, right = padding
    if padding == [0, 0, 0, 0] and quads == c:
        return nhwc
    shape = [n, h + top + bottom, w + left + right, quads]
    # alloc_tensor, not tensor.empty: CSE must not merge the padded buffers of
    # different convolutions (each would then start as a copy of a shared one).
    buffer = bufferization.AllocTensorOp(tensor_type(shape, i8), []).result
    za = arith.constant(i8, int(np.uint8(a.zero_point).view(np.int8)))
    filled = single_result(linalg.fill(za, outs=[buffer]))
    return tensor.insert_slice(nhwc, filled, [], [], [], [0, top, left, 0], [n, h, w, c], [1] * 4)


def _to_nhwc(q: ir.Value, signed: bool) -> ir.Value:
    """``q`` (NCHW i8) transposed to NHWC; an s8 ``q`` as u8 (``q ^ 0x80``) on the way."""
    i8 = ir.IntegerType.get_signless(8)
    shape = static_shape(q)
    out = tensor.empty([shape[d] for d in TO_NHWC], i8)

    def body(args: list[ir.Value]) -> ir.Value:
        value = args[0]
        return arith.xori(value, arith.constant(i8, -128)) if signed else value

    nchw_of_nhwc = [0, 3, 1, 2]  # input index of each NHWC loop
    return _generic([q], out, [nchw_of_nhwc, [0, 1, 2, 3]], body)


def _epilogue(sums: ir.Value, terms: ir.Value, scales: ir.Value, init: ir.Value) -> ir.Value:
    """init + f32(sums - terms[f]) * scales[f], NHWC (``init`` is read NCHW)."""
    out = tensor.empty(static_shape(sums), _f32())

    def body(args: list[ir.Value]) -> ir.Value:
        total, term, scale, bias, _ = args
        value = arith.mulf(arith.sitofp(_f32(), arith.subi(total, term)), scale)
        return arith.addf(bias, value)

    return _generic(
        [sums, terms, scales, init], out, [[0, 1, 2, 3], [3], [3], [0, 3, 1, 2], [0, 1, 2, 3]], body
    )


def _generic(inputs, init, dims, body) -> ir.Value:
    """An all-parallel 4-loop ``linalg.generic`` reading ``inputs`` at ``dims`` (one list
    per operand, ``init`` last) with ``body`` (block arguments -> yielded value)."""
    maps = [affine_map(4, d) for d in dims]
    return build_generic(inputs, init, maps, ["parallel"] * 4, body)


def _pair(op: ir.Operation, name: str) -> tuple[int, int]:
    return tuple(ir.DenseIntElementsAttr(op.attributes[name]))


def _f32() -> ir.Type:
    return ir.F32Type.get()
