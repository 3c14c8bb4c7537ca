"""kiln-compact-broadcast-constants: constants read through broadcast maps lose their broadcast dims.

torch-mlir broadcasts a per-channel constant (a bias, a folded BatchNorm scale)
as a ``1 x C x 1 x 1`` tensor read through ``(d0, d1, d2, d3) -> (d0, d1, 0, 0)``.
MLIR's reshape propagation (in ``linalg-fuse-elementwise-ops``) only moves a
``collapse_shape``/``expand_shape`` through a generic whose maps are all
projected permutations, which a constant ``0`` result is not: such an epilogue
stops a reshape, and the transposes on either side of it (NHWC <-> NCHW around
a grouped convolution's N x H x W x G x F output) can no longer cancel. Stored
without the dims its map reads at 0, the same constant is read through a
projected permutation:

    ins(%c : tensor<1x128x1x1xf32>) (d0, d1, 0, 0)  ->  ins(%c' : tensor<1x128xf32>) (d0, d1)

Pre: linalg-on-tensors.
Post: no ``linalg.generic`` input that is a dense ``arith.constant`` is read
through a map with a constant result; the values read are unchanged.
"""

from __future__ import annotations

from kiln.passes.common import (
    collect_ops,
    constant_array,
    dense_constant,
    element_type,
    indexing_maps,
)
from kiln.passes.registry import KilnPass, register

from kiln.ir import ir


@register
class CompactBroadcastConstants(KilnPass):
    """Drop the dims of constant generic inputs that their indexing maps read at 0."""

    name = "kiln-compact-broadcast-constants"

    def run(self, module: ir.Operation) -> None:
        for op in collect_ops(module, ["linalg.generic"]):
            _compact_inputs(op)


def _compact_inputs(op: ir.Operation) -> None:
    maps = indexing_maps(op)
    n_inputs = len(op.operands) - len(op.results)
    changed = False
    for index in range(n_inputs):
        kept = _kept_results(maps[index])
        if kept is None:
            continue
        array = constant_array(op.operands[index])
        if array is None or array.ndim != len(maps[index].results):
            continue
        with ir.InsertionPoint(op), op.location:
            compact = dense_constant(
                array.reshape([array.shape[d] for d in kept]), element_type(op.operands[index])
            )
        op.operands[index] = compact
        results = [maps[index].results[d] for d in kept]
        maps[index] = ir.AffineMap.get(maps[index].n_dims, maps[index].n_symbols, results)
        changed = True
    if changed:
        op.attributes["indexing_maps"] = ir.ArrayAttr.get([ir.AffineMapAttr.get(m) for m in maps])


def _kept_results(amap: ir.AffineMap) -> list[int] | None:
    """The result positions that are not the constant 0, or None if every one is not.

    A constant result other than 0 (an odd map) leaves the operand alone.
    """
    kept, dropped = [], False
    for position, expr in enumerate(amap.results):
        if isinstance(expr, ir.AffineConstantExpr):
            if expr.value != 0:
                return None
            dropped = True
        else:
            kept.append(position)
    return kept if dropped else None
