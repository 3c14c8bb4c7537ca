"""kiln-bf16-convs: NHWC convolutions read their input activation in bf16 (``precision=bf16``).

AVX512-BF16's ``vdpbf16ps`` multiplies pairs of bf16 values. A convolution's
reduction over input channels c is the k loop of its register blocks
(``schedules/conv.py``), so c pairs up the same way as a matmul's k: in NHWC
the channels of a pixel are contiguous, and the input converted to bf16 is
already [.., C/2, 2] pairs (a free reshape). This pass converts the input
once per convolution, with a ``linalg.generic`` of ``arith.truncf`` that
elementwise fusion then merges into the producer (the previous layer's
epilogue writes bf16), and pads an odd C with a zero channel (in f32, before
the conversion):

    conv_2d_nhwc_hwcf ins(%x, %w : f32, f32)
      ->
    conv_2d_nhwc_hwcf ins(to_bf16(%x), %w' : bf16, f32)

A spatially padded input (``insert_slice(%src, fill(0, alloc))``, as
``kiln-conv-to-nhwc`` builds it) is converted before the padding, into a bf16
padded buffer. The filter stays an f32 constant (zero-padded to the even C):
``kiln-bf16-conv-blocks`` rounds and packs it in pairs once the schedule has
chosen the register tiles, and turns each tile into bf16 dot products.

Applies to convolutions with a constant (non-splat) filter, static shapes and a
multiple of 16 output channels (the dot kernel's lanes); others stay f32.

Pre: NHWC convolutions (``kiln-conv-to-nhwc``), constants folded.
Post: those convolutions take a bf16 input with an even channel count.
"""

from __future__ import annotations

import numpy as np
from kiln.lowering.cpu.bf16_operands import pad_dim, to_bf16
from kiln.passes.common import (
    collect_ops,
    constant_array,
    defining_op,
    dense_constant,
    is_zero_constant,
    static_shape,
    tensor_type,
    users,
)
from kiln.passes.registry import KilnPass, register

from kiln.ir import arith, bufferization, ir, linalg, tensor

LANES = 16  # f32 lanes of one vdpbf16ps accumulator
CONV = "linalg.conv_2d_nhwc_hwcf"


@register
class Bf16Convs(KilnPass):
    """Give NHWC convolutions a bf16 input (even channels) for the bf16 dot kernel."""

    name = "kiln-bf16-convs"

    def run(self, module: ir.Operation) -> None:
        for op in collect_ops(module, [CONV]):
            if _applies(op):
                with ir.InsertionPoint(op), op.location:
                    _rewrite(op)


def _applies(op: ir.Operation) -> bool:
    x, w, out = op.operands[0], op.operands[1], op.operands[2]
    if any(static_shape(v) is None for v in (x, w, out)):
        return False
    if not all(isinstance(ir.ShapedType(v.type).element_type, ir.F32Type) for v in (x, w, out)):
        return False
    if constant_array(w) is None or static_shape(w)[3] % LANES:
        return False
    # A splat filter is not packed (its tiles fold to smaller splats): it stays f32.
    return not ir.DenseElementsAttr(defining_op(w).attributes["value"]).is_splat


def _rewrite(op: ir.Operation) -> None:
    x, w = op.operands[0], op.operands[1]
    channels = static_shape(x)[3]
    even = channels + channels % 2
    weights = constant_array(w)
    if even != channels:
        weights = np.pad(weights, [(0, 0), (0, 0), (0, 1), (0, 0)])
    x_bf16 = _input_bf16(x, even)
    w_even = dense_constant(np.ascontiguousarray(weights), ir.F32Type.get())
    attrs = {
        name: list(ir.DenseIntElementsAttr(op.attributes[name]))
        for name in ("strides", "dilations")
    }
    conv = linalg.conv_2d_nhwc_hwcf(x_bf16, w_even, outs=[op.operands[2]], **attrs)
    result = conv if isinstance(conv, ir.Value) else conv.results[0]
    op.results[0].replace_all_uses_with(result)
    op.erase()
    _erase_unused_padding(x)


def _erase_unused_padding(x: ir.Value) -> None:
    """Erases the f32 padding of ``x`` once nothing reads it: canonicalization keeps
    the ``alloc_tensor`` under it (an allocation)."""
    pad = _zero_padding(x)
    if pad is None or users(x):
        return
    fill = defining_op(pad.operands[1])
    pad.erase()
    if not users(fill.results[0]):
        buffer = defining_op(fill.operands[1])
        fill.erase()
        if buffer is not None and buffer.name == "bufferization.alloc_tensor":
            if not users(buffer.results[0]):
                buffer.erase()


def _input_bf16(x: ir.Value, even: int) -> ir.Value:
    """``x`` in bf16 with ``even`` channels: converted before its zero padding, if any
    (the padding, then unused, is left to canonicalization).

    An odd C is padded in f32 first, so the conversion is as wide as the channels
    are even: LLVM cannot lower a truncation to bf16 of, e.g., 33 lanes (it splits
    off one scalar lane, which it cannot soft-promote).
    """
    pad = _zero_padding(x)
    source = x if pad is None else pad.operands[0]
    converted = to_bf16(pad_dim(source, 3, even), [0, 1, 2, 3])
    if pad is None:
        return converted
    low = list(ir.DenseI64ArrayAttr(pad.attributes["static_offsets"]))
    return _insert_padded(converted, static_shape(pad.operands[1])[:3] + [even], low)


def _zero_padding(x: ir.Value) -> ir.Operation | None:
    """The ``insert_slice(src, fill(0, buffer))`` that pads ``x`` with zeros, if it is one."""
    insert = defining_op(x)
    if insert is None or insert.name != "tensor.insert_slice" or len(insert.operands) != 2:
        return None
    fill = defining_op(insert.operands[1])
    if fill is None or fill.name != "linalg.fill" or not is_zero_constant(fill.operands[0]):
        return None
    strides = list(ir.DenseI64ArrayAttr(insert.attributes["static_strides"]))
    return insert if strides == [1, 1, 1, 1] else None


def _insert_padded(value: ir.Value, shape: list[int], low: list[int]) -> ir.Value:
    """``value`` inserted at ``low`` into a fresh zero bf16 buffer of ``shape``.

    ``alloc_tensor`` (as ``kiln-conv-to-nhwc``'s padding): CSE must not merge
    the padded buffers of different convolutions, and the producer of
    ``value`` can then write straight into it.
    """
    bf16 = ir.BF16Type.get()
    buffer = bufferization.AllocTensorOp(tensor_type(shape, bf16), []).result
    zero = arith.constant(bf16, 0.0)
    filled = linalg.fill(zero, outs=[buffer])
    filled = filled if isinstance(filled, ir.Value) else filled.results[0]
    size = static_shape(value)
    return tensor.insert_slice(value, filled, [], [], [], low, size, [1] * len(size))
