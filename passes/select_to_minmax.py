"""kiln-select-to-minmax: compare-and-select becomes ``maximumf``/``minimumf``, NaN-propagating like PyTorch.

torch-mlir lowers clamp, maximum and minimum to ``arith.cmpf`` + ``arith.select``.
An ordered or unordered compare picks a bound when the input is NaN, where
PyTorch returns NaN. ``arith.maximumf``/``minimumf`` propagate NaN, and map to
one vector instruction each.

    %c = arith.cmpf ult, %x, %lo : f32 ; %r = arith.select %c, %lo, %x  ->  %r = arith.maximumf %x, %lo

Pre: any IR with arith ops.
Post: no ``arith.select`` of floats is driven by a ``cmpf`` of its own two
values with a <, <=, >, >= predicate.
"""

from __future__ import annotations

from kiln.passes.registry import KilnPass, register

from kiln.ir import arith, ir, rewrite

# arith.cmpf predicate numbers.
GREATER = {2, 3, 9, 10}  # ogt, oge, ugt, uge
LESS = {4, 5, 11, 12}  # olt, ole, ult, ule


@register
class SelectToMinMax(KilnPass):
    """Rewrite compare-and-select of two floats into NaN-propagating maximumf/minimumf."""

    name = "kiln-select-to-minmax"

    def run(self, module: ir.Operation) -> None:
        patterns = rewrite.RewritePatternSet(module.context)
        patterns.add("arith.select", _select_to_minmax)
        rewrite.apply_patterns_and_fold_greedily(module, patterns.freeze())


def _select_to_minmax(op, rewriter) -> bool:
    """select(cmpf(p, a, b), a, b) -> max/min(a, b) per predicate p (returns False on match)."""
    cond = op.operands[0].owner
    if not hasattr(cond, "operation") or cond.operation.name != "arith.cmpf":
        return True
    if not isinstance(op.results[0].type, ir.FloatType):
        return True
    predicate = ir.IntegerAttr(cond.attributes["predicate"]).value
    a, b = cond.operands[0], cond.operands[1]
    picked = (op.operands[1], op.operands[2])
    if picked == (a, b):
        builder = (
            arith.maximumf
            if predicate in GREATER
            else arith.minimumf
            if predicate in LESS
            else None
        )
    elif picked == (b, a):
        builder = (
            arith.minimumf
            if predicate in GREATER
            else arith.maximumf
            if predicate in LESS
            else None
        )
    else:
        builder = None
    if builder is None:
        return True
    with rewriter.ip, op.location:
        value = builder(a, b)
    rewriter.replace_op(op, [value])
    return False
