"""kiln-tighten-window-operands: a generic's input is sliced to the range its loops read.

A convolution written as a ``linalg.generic`` reads its input through sums of
loops (``oh + kh``); the input may be larger than the windows reach (valid
IR: linalg only requires it to be large enough). Dropping unit loops
(upstream's ``linalg-fold-unit-extent-dims``, and the vectorizer's unit-dim
folding) turns ``ow + kw`` with a unit ``kw`` into plain ``ow``, which then
claims the input's whole extent as the loop's: the op no longer verifies
("inferred input/output operand #2 has shape's dimension #0 to be 6, but
found 4"), an internal error on CUDA and a refused valid program on the CPU
(found by the fuzzer, seed 1911). Slicing each such input to exactly the
indices read makes every later rewrite of the loops sound.

Pre: linalg on tensors.
Post: every statically shaped ``linalg.generic`` input indexed by an affine sum
(with non-negative range) is exactly as large, along that dimension, as the
largest index its loops reach plus one; other ops are untouched.
"""

from __future__ import annotations

from kiln.passes.common import as_affine, collect_ops, indexing_maps, static_shape
from kiln.passes.padded_slices import leading_slice
from kiln.passes.registry import KilnPass, register

from kiln.ir import ir


@register
class TightenWindowOperands(KilnPass):
    """Slice generic inputs read through loop sums to the range the loops reach."""

    name = "kiln-tighten-window-operands"

    def run(self, module: ir.Operation) -> None:
        for op in collect_ops(module, ["linalg.generic"]):
            _tighten(op)


def _tighten(op: ir.Operation) -> None:
    maps = indexing_maps(op)
    shapes = [static_shape(v) for v in op.operands]
    if not maps or any(s is None for s in shapes) or len(maps) != len(shapes):
        return  # no operands, or memrefs / dynamic shapes
    extents = _loop_extents(maps, shapes)
    if extents is None:
        return
    n_inputs = ir.DenseI32ArrayAttr(op.attributes["operandSegmentSizes"])[0]
    for index in range(n_inputs):
        shape = shapes[index]
        tight = list(shape)
        for pos, expr in enumerate(maps[index].results):
            if as_affine(expr, ir.AffineDimExpr) is not None:
                continue
            bounds = _bounds(expr, extents)
            if bounds is None or bounds[0] < 0 or bounds[1] >= shape[pos]:
                continue  # not a non-negative affine range inside the operand
            tight[pos] = bounds[1] + 1
        if tight == shape:
            continue
        with ir.InsertionPoint(op), op.location:
            op.operands[index] = leading_slice(op.operands[index], tight)


def _loop_extents(maps: list[ir.AffineMap], shapes: list[list[int]]) -> list[int] | None:
    """Each loop's extent, from the first operand dimension indexed by that loop alone
    (as linalg infers them); None if a loop has no such dimension."""
    extents: list[int | None] = [None] * maps[0].n_dims
    for amap, shape in zip(maps, shapes, strict=True):
        for pos, expr in enumerate(amap.results):
            if (dim_expr := as_affine(expr, ir.AffineDimExpr)) is not None:
                dim = dim_expr.position
                if extents[dim] is None:
                    extents[dim] = shape[pos]
    if any(e is None for e in extents):
        return None
    return extents


def _bounds(expr: ir.AffineExpr, extents: list[int]) -> tuple[int, int] | None:
    """(min, max) of ``expr`` over the loop box, for sums and constant multiples of loops
    and constants; None for anything else (mod, division, symbols) or an empty loop."""
    if (dim := as_affine(expr, ir.AffineDimExpr)) is not None:
        extent = extents[dim.position]
        return (0, extent - 1) if extent > 0 else None
    if (constant := as_affine(expr, ir.AffineConstantExpr)) is not None:
        return constant.value, constant.value
    if (add := as_affine(expr, ir.AffineAddExpr)) is not None:
        lhs, rhs = _bounds(add.lhs, extents), _bounds(add.rhs, extents)
        if lhs is None or rhs is None:
            return None
        return lhs[0] + rhs[0], lhs[1] + rhs[1]
    if (mul := as_affine(expr, ir.AffineMulExpr)) is not None:
        lhs, rhs = _bounds(mul.lhs, extents), _bounds(mul.rhs, extents)
        if lhs is None or rhs is None:
            return None
        products = [a * b for a in lhs for b in rhs]
        return min(products), max(products)
    return None
