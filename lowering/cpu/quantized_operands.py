"""Recognizing the dequantized operands of a contraction (for ``kiln-int8-contractions``).

A quantized model computes ``dequant(q) = (q - zero_point) * scale`` in f32 before each
float contraction. Instead of matching the ops that spell it (torch-mlir writes
``extui, subi, sitofp, mulf``, or ``uitofp, mulf`` when the zero point is 0; ONNX
importers write others), the dequantization is *evaluated*: an activation's on all
256 bit patterns of its i8 input, a weight's on its constant integers, on ones and on
zeros. It is affine in the integer exactly when those values say so; anything else
(a non-zero weight zero point, a scale that is not per output channel) is not matched
and the contraction stays f32.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from kiln.passes.common import constant_array, defining_op, element_type, static_shape
from kiln.passes.fold_constant_layout import evaluate_body, evaluate_elementwise

from kiln.ir import ir, tensor

LAYOUT_OPS = ("linalg.transpose", "tensor.expand_shape", "tensor.collapse_shape")
_BITS = np.arange(256, dtype=np.uint8).view(np.int8)  # every i8 bit pattern
_UNSIGNED = np.arange(256, dtype=np.int64)
_SIGNED = _BITS.astype(np.int64)


@dataclass(frozen=True)
class Activation:
    """A dequantized activation ``(q - zero_point) * scale``: ``q`` the i8 tensor it reads,
    ``signed`` whether it reads q as s8 (else u8); ``zero_point`` as an unsigned value
    (an s8 q is read shifted by 128: q ^ 0x80, so ``zero_point`` includes that shift)."""

    q: ir.Value
    signed: bool
    zero_point: int
    scale: np.float32
    reshapes: tuple = ()  # expand/collapse_shape ops between the dequantization and its use


def reshaped(q: ir.Value, reshapes) -> ir.Value:
    """``q`` (i8) through the same reshapes as the dequantized value (built here)."""
    i8 = ir.IntegerType.get_signless(8)
    for op in reshapes:
        ty = ir.RankedTensorType.get(static_shape(op.results[0]), i8)
        groups = op.attributes["reassociation"]
        if op.name == "tensor.collapse_shape":
            q = tensor.collapse_shape(ty, q, groups)
        else:
            q = tensor.expand_shape(ty, q, groups, [], static_shape(op.results[0]))
    return q


@dataclass(frozen=True)
class Weight:
    """A dequantized constant weight ``q[k, n] * scale[n]`` (zero point 0): ``q`` int8
    [K, N] in the contraction's (k, n) order (a filter: [F, C, KH, KW]), ``scale`` f32
    per output column (channel)."""

    q: np.ndarray
    scale: np.ndarray


def dequantized_activation(value: ir.Value) -> Activation | None:
    """``value`` as a dequantized u8/s8 activation (per tensor), seen through reshapes of
    the dequantization's result; else None."""
    reshapes, op = [], defining_op(value)
    while op is not None and op.name in ("tensor.expand_shape", "tensor.collapse_shape"):
        if static_shape(op.results[0]) is None or len(op.operands) != 1:
            return None
        reshapes.insert(0, op)
        value, op = op.operands[0], defining_op(op.operands[0])
    if op is None or op.name != "linalg.generic" or len(op.operands) != 2:
        return None
    q = op.operands[0]
    if not _is_i8(q) or not isinstance(element_type(value), ir.F32Type):
        return None
    if static_shape(q) != static_shape(value) or not _identity_maps(op):
        return None
    values = evaluate_body(op, [_BITS])
    if values is None:
        return None
    unsigned = _affine(values.astype(np.float32), _UNSIGNED)
    if unsigned is not None:
        return Activation(q, False, *unsigned, tuple(reshapes))
    signed = _affine(values.astype(np.float32), _SIGNED)
    if signed is not None:
        return Activation(q, True, signed[0] + 128, signed[1], tuple(reshapes))
    return None


def dequantized_weight(value: ir.Value) -> Weight | None:
    """``value`` [K, N] as a per-column dequantized s8 constant with zero point 0, seen
    through transposes and reshapes of the dequantization's result; else None."""
    found = _dequantized_constant(value)
    if found is None:
        return None
    q, scale = found
    if q.ndim != 2 or not np.all(scale == scale[:1]):
        return None  # not one scale per output column
    return Weight(np.ascontiguousarray(q), np.ascontiguousarray(scale[0]))


def dequantized_filter(value: ir.Value) -> Weight | None:
    """``value`` [F, C, KH, KW] (a convolution's filter) as a dequantized s8 constant with
    one scale per output channel f and zero point 0; else None. ``Weight.q`` is the
    FCHW int8 filter, ``Weight.scale`` [F]."""
    found = _dequantized_constant(value)
    if found is None:
        return None
    q, scale = found
    if q.ndim != 4 or not np.all(scale == scale[:, :1, :1, :1]):
        return None  # not one scale per output channel
    return Weight(np.ascontiguousarray(q), np.ascontiguousarray(scale[:, 0, 0, 0]))


def _dequantized_constant(value: ir.Value) -> tuple[np.ndarray, np.ndarray] | None:
    """(q, scale), both of ``value``'s shape, with ``value == q * scale`` for an s8
    constant q (zero point 0), seen through transposes and reshapes; else None."""
    chain, op = [], defining_op(value)
    while op is not None and op.name in LAYOUT_OPS:
        chain.append(op)
        op = defining_op(op.operands[0])
    if op is None or op.name != "linalg.generic" or len(op.results) != 1:
        return None
    inputs = [constant_array(v) for v in list(op.operands)[:-1]]
    # The weight is the i8 input of the result's shape; others (an ONNX DequantizeLinear's
    # per-channel i8 zero point) are constants the evaluation keeps, and the zeros test
    # below rejects any that is not 0.
    shape = static_shape(op.results[0])
    ints = [
        i for i, v in enumerate(list(op.operands)[:-1]) if _is_i8(v) and static_shape(v) == shape
    ]
    if any(a is None for a in inputs) or len(ints) != 1:
        return None
    q = np.asarray(inputs[ints[0]], dtype=np.int8)
    real, ones, zeros = (
        evaluate_elementwise(op, inputs[: ints[0]] + [sub] + inputs[ints[0] + 1 :])
        for sub in (q, np.ones_like(q), np.zeros_like(q))
    )
    if real is None or ones is None or zeros is None or np.any(zeros != 0):
        return None  # not evaluable, or a non-zero zero point
    scale = np.asarray(ones, dtype=np.float32)
    if not np.array_equal(np.float32(q) * scale, np.asarray(real, dtype=np.float32)):
        return None  # not q * scale (q read unsigned, or not affine)
    for layout in reversed(chain):
        q, scale = (_apply_layout(layout, a) for a in (q, scale))
    return q, scale


def _affine(values: np.ndarray, ints: np.ndarray) -> tuple[int, np.float32] | None:
    """(zero point, scale) with ``values == f32(ints - zero point) * scale`` exactly."""
    zeros = np.flatnonzero(values == 0)
    if len(zeros) != 1 or not np.all(np.isfinite(values)):
        return None
    zero_point = int(ints[zeros[0]])
    step = zero_point + 1 if zero_point + 1 <= ints.max() else zero_point - 1
    scale = np.float32(values[np.flatnonzero(ints == step)[0]] * (step - zero_point))
    expected = np.float32(ints - zero_point) * scale
    return (zero_point, scale) if scale > 0 and np.array_equal(expected, values) else None


def _apply_layout(op: ir.Operation, array: np.ndarray) -> np.ndarray:
    if op.name == "linalg.transpose":
        return np.transpose(array, list(ir.DenseI64ArrayAttr(op.attributes["permutation"])))
    return array.reshape(static_shape(op.results[0]))


def _is_i8(value: ir.Value) -> bool:
    elt = element_type(value)
    return isinstance(elt, ir.IntegerType) and ir.IntegerType(elt).width == 8


def _identity_maps(op: ir.Operation) -> bool:
    maps = [ir.AffineMapAttr(a).value for a in op.attributes["indexing_maps"]]
    return all(m == ir.AffineMap.get_identity(m.n_dims) for m in maps)
