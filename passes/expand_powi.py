"""kiln-expand-powi: integer powers become multiplications (or ``powf``).

torch-mlir lowers ``x ** 2`` and friends to ``math.fpowi`` with an i64
exponent; LLVM's ``powi`` intrinsic only takes a scalar i32 exponent, so
vectorized code cannot use it. A constant exponent |n| <= 16 becomes a
square-and-multiply chain (and a reciprocal for n < 0); any other exponent
becomes ``math.powf`` of the converted exponent.

    %r = math.fpowi %x, %c3_i64 : f32, i64  ->  %x2 = mulf %x, %x ; %r = mulf %x2, %x

Pre: any IR with math ops.
Post: no ``math.fpowi`` remains.
"""

from __future__ import annotations

from kiln.passes.registry import KilnPass, register

from kiln.ir import arith, ir, rewrite
from kiln.ir import math as math_d

MAX_EXPANDED_EXPONENT = 16


@register
class ExpandPowi(KilnPass):
    """Rewrite math.fpowi as multiplications (constant exponents) or math.powf."""

    name = "kiln-expand-powi"

    def run(self, module: ir.Operation) -> None:
        patterns = rewrite.RewritePatternSet(module.context)
        patterns.add("math.fpowi", _expand)
        rewrite.apply_patterns_and_fold_greedily(module, patterns.freeze())


def _expand(op, rewriter) -> bool:
    """fpowi(x, n) -> x * x * ... (constant n) or powf(x, sitofp(n)); False on a match."""
    base, exponent = op.operands[0], op.operands[1]
    n = _constant_int(exponent)
    with rewriter.ip, op.location:
        if n is not None and abs(n) <= MAX_EXPANDED_EXPONENT:
            value = _power(base, abs(n))
            if n < 0:
                one = _float_constant(base.type, 1.0)
                value = arith.divf(one, value)
        else:
            value = math_d.powf(base, arith.sitofp(base.type, exponent))
    rewriter.replace_op(op, [value])
    return False


def _power(base: ir.Value, n: int) -> ir.Value:
    if n == 0:
        return _float_constant(base.type, 1.0)
    result, square = None, base
    while n:
        if n & 1:
            result = square if result is None else arith.mulf(result, square)
        n >>= 1
        if n:
            square = arith.mulf(square, square)
    return result


def _float_constant(ty: ir.Type, value: float) -> ir.Value:
    if isinstance(ty, ir.VectorType):
        element = ir.VectorType(ty).element_type
        return arith.constant(
            ty, ir.DenseElementsAttr.get_splat(ty, ir.FloatAttr.get(element, value))
        )
    return arith.constant(ty, ir.FloatAttr.get(ty, value))


def _constant_int(value: ir.Value) -> int | None:
    owner = value.owner
    if not hasattr(owner, "operation") or owner.operation.name != "arith.constant":
        return None
    attr = owner.operation.attributes["value"]
    if isinstance(attr, ir.IntegerAttr):
        return ir.IntegerAttr(attr).value
    if isinstance(attr, ir.DenseIntElementsAttr) and ir.DenseElementsAttr(attr).is_splat:
        return ir.IntegerAttr(ir.DenseElementsAttr(attr).get_splat_value()).value
    return None
