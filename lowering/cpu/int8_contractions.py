"""kiln-int8-contractions: quantized matmuls as u8 x s8 -> i32 contractions (AVX512-VNNI).

A quantized model's contraction reads ``dequant(qa)`` (u8 or s8 activations, one
scale sa and zero point za) and ``dequant(qw)`` (an s8 constant weight, a scale
sw[n] per output column, zero point 0). Its answer is

    out[m, n] = sa * sw[n] * (sum_k qa[m, k] * qw[k, n] - za * sum_k qw[k, n])

so the contraction runs on the integers (exact in i32) and an elementwise epilogue
subtracts the zero point's term (the weight's column sums, computed here) and
rescales to f32. The u8 activation comes from the producer's quantize (its
``fptoui``), which elementwise fusion then merges into the producer's epilogue:
the previous layer writes u8. An s8 activation is read as u8 shifted by 128
(``q ^ 0x80``, za + 128): ``vpdpbusd`` multiplies unsigned by signed bytes.

Pre: linalg-on-tensors, before ``kiln-fold-constant-layout`` folds the weights'
dequantization (the s8 constants and their scales must still be visible).
Post: every ``linalg.matmul`` with a zero-filled init, a dequantized activation and
a dequantized s8 constant weight (as ``quantized_operands`` recognizes them) is an
i32 ``linalg.generic`` (``extui``, ``extsi``, ``muli``, ``addi``) and an f32
epilogue; every other contraction is unchanged.
"""

from __future__ import annotations

import numpy as np
from kiln.lowering.cpu.quantized_operands import (
    Activation,
    dequantized_activation,
    dequantized_weight,
    reshaped,
)
from kiln.passes.common import (
    affine_map,
    build_generic,
    collect_ops,
    defining_op,
    dense_constant,
    is_zero_constant,
    static_shape,
)
from kiln.passes.registry import KilnPass, register

from kiln.ir import arith, ir, linalg, tensor

I32_LIMIT = 1 << 31
UINT8_MAX, INT8_MIN = 255, -128


@register
class Int8Contractions(KilnPass):
    """Rewrite matmuls of dequantized u8/s8 activations and s8 weights into i32 contractions."""

    name = "kiln-int8-contractions"

    def run(self, module: ir.Operation) -> None:
        for op in collect_ops(module, ["linalg.matmul"]):
            plan = _plan(op)
            if plan is None:
                continue
            with ir.InsertionPoint(op), op.location:
                result = _rewrite(op, *plan)
            op.results[0].replace_all_uses_with(result)
            op.erase()


def _plan(op: ir.Operation):
    """(activation, weight) of a matmul this pass rewrites, else None."""
    if len(op.operands) != 3 or not _zero_fill(op.operands[2]):
        return None
    if any(static_shape(v) is None for v in op.operands):
        return None  # the rewrite builds static tensors (a dynamic batch stays f32)
    if "indexing_maps" in op.attributes and not _plain_maps(op):
        return None  # transposed or broadcast operands
    activation = dequantized_activation(op.operands[0])
    weight = dequantized_weight(op.operands[1])
    if activation is None or weight is None:
        return None
    K = weight.q.shape[0]
    # |sum_k qa qw| <= K * 255 * 128, and the zero point's term as much again.
    if 2 * K * UINT8_MAX * -INT8_MIN >= I32_LIMIT:
        return None
    return activation, weight


def _rewrite(op: ir.Operation, a: Activation, weight) -> ir.Value:
    """The i32 contraction of ``op`` and its f32 epilogue (the value replacing ``op``)."""
    i8, i32 = ir.IntegerType.get_signless(8), ir.IntegerType.get_signless(32)
    f32 = ir.F32Type.get()
    qa = reshaped(_flip_sign_bit(a.q) if a.signed else a.q, a.reshapes)
    M, K = static_shape(qa)
    N = weight.q.shape[1]
    qw = dense_constant(weight.q, i8)
    zero = linalg.fill(arith.constant(i32, 0), outs=[tensor.empty([M, N], i32)])
    sums = _generic([qa, qw], zero, [[0, 2], [2, 1], [0, 1]], 3, _multiply_accumulate)
    column_term = a.zero_point * weight.q.astype(np.int64).sum(axis=0)
    scale = np.float32(a.scale) * weight.scale
    terms = dense_constant(column_term.astype(np.int32), i32)
    scales = dense_constant(scale.astype(np.float32), f32)
    out = tensor.empty([M, N], f32)
    return _generic([sums, terms, scales], out, [[0, 1], [1], [1], [0, 1]], 2, _rescale)


def _multiply_accumulate(args: list[ir.Value]) -> ir.Value:
    """acc + zext(qa) * sext(qw): u8 times s8, as ``vpdpbusd`` reads them."""
    i32 = ir.IntegerType.get_signless(32)
    qa, qw, acc = args
    product = arith.muli(arith.extui(i32, qa), arith.extsi(i32, qw))
    return arith.addi(acc, product)


def _rescale(args: list[ir.Value]) -> ir.Value:
    """f32(sum - za * colsum[n]) * (sa * sw[n])."""
    total, term, scale, _ = args
    return arith.mulf(arith.sitofp(ir.F32Type.get(), arith.subi(total, term)), scale)


def _flip_sign_bit(q: ir.Value) -> ir.Value:
    """``q ^ 0x80`` elementwise: an s8 value as the u8 value 128 higher."""
    i8 = ir.IntegerType.get_signless(8)
    rank = len(static_shape(q))

    def body(args: list[ir.Value]) -> ir.Value:
        return arith.xori(args[0], arith.constant(i8, INT8_MIN))

    dims = list(range(rank))
    return _generic([q], tensor.empty(static_shape(q), i8), [dims, dims], rank, body)


def _generic(inputs, init, dims, n_loops: int, body) -> ir.Value:
    """A ``linalg.generic`` over ``n_loops`` loops reading ``inputs`` and writing ``init``
    at the loops ``dims`` (one list per operand); loops the output lacks reduce."""
    maps = [affine_map(n_loops, d) for d in dims]
    kinds = ["parallel" if d in dims[-1] else "reduction" for d in range(n_loops)]
    return build_generic(inputs, init, maps, kinds, body)


def _zero_fill(value: ir.Value) -> bool:
    op = defining_op(value)
    return op is not None and op.name == "linalg.fill" and is_zero_constant(op.operands[0])


def _plain_maps(op: ir.Operation) -> bool:
    maps = [ir.AffineMapAttr(a).value for a in op.attributes["indexing_maps"]]
    return [str(m) for m in maps] == [str(affine_map(3, d)) for d in ([0, 2], [2, 1], [0, 1])]
