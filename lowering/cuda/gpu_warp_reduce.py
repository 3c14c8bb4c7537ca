"""One warp reduces one row: a lane-strided loop, then a butterfly of ``gpu.shuffle xor``.

Used by ``kiln-gpu-distribute`` on the per-warp reductions that
``gpu_reduction.schedule_warp_reduction`` marks ``kiln.gpu.warp_reduce``::

    linalg.generic {"parallel", ..., "reduction"} ins(%x : memref<1x..xN>) outs(%o : memref<1x..>)
    (or the same linalg.reduce)
    ->  lane-strided scf.for (k = lane; k < N; k += 32) accumulating the body,
        5 x (gpu.shuffle xor + combine), lane 0 stores combine(total, %o)

The body must end with a combiner (``addf``, ``mulf``, ``maximumf``...) of the
accumulator and a value computed from the inputs alone (``is_warp_reducible``).
"""

from __future__ import annotations

import math

from kiln.ir import arith, gpu, ir, linalg, memref, scf

WARP_SIZE = 32
# Combiner op -> its neutral element.
NEUTRAL = {
    "arith.addf": 0.0,
    "arith.mulf": 1.0,
    "arith.maximumf": -math.inf,
    "arith.maxnumf": -math.inf,
    "arith.minimumf": math.inf,
    "arith.minnumf": math.inf,
}


def combiner(op: ir.Operation) -> ir.Operation | None:
    """The op combining the accumulator in a one-output reduction body, or None."""
    body = op.regions[0].blocks[0]
    ops = [inner.operation for inner in body.operations]
    if not ops or ops[-1].name != "linalg.yield" or len(ops[-1].operands) != 1:
        return None
    acc = body.arguments[len(body.arguments) - 1]
    final = ops[-1].operands[0].owner
    final = final.operation if isinstance(final, ir.OpView) else final
    if not isinstance(final, ir.Operation) or final.name not in NEUTRAL:
        return None
    users = [use.owner for use in acc.uses]
    if len(users) != 1 or acc not in list(final.operands):
        return None
    if any(inner.name.startswith("linalg.") and inner.name != "linalg.yield" for inner in ops):
        return None  # linalg.index: the body depends on the position
    return final


def is_warp_reducible(op: ir.Operation, loop_sizes, kinds, dims_per_operand) -> bool:
    """One innermost f32 reduction loop of >= 32 iterations, walked contiguously, a known
    combiner, and at most 3 parallel loops (one grid dim each)."""
    if kinds.count("reduction") != 1 or kinds[-1] != "reduction" or len(kinds) > 4:
        return False
    if loop_sizes[-1] < WARP_SIZE:
        return False
    if str(ir.ShapedType(op.results[0].type).element_type) != "f32":
        return False
    last = len(kinds) - 1
    if any(last in dims and dims[-1] != last for dims in dims_per_operand):
        return False
    return combiner(op) is not None


def lower_warp_reduction(op: ir.Operation) -> None:
    """Replaces the marked per-warp reduction ``op`` (on buffers) by the shuffle code."""
    final = combiner(op)
    body = op.regions[0].blocks[0]
    n_in = len(op.operands) - 1
    # Through the LinalgOp interface: named reductions (linalg.reduce) carry no
    # indexing_maps attribute.
    maps = [ir.AffineMapAttr(m).value for m in linalg.get_indexing_maps(op)]
    last = maps[0].n_dims - 1
    extent = _reduction_extent(op, maps, last)
    elt = ir.MemRefType(op.operands[n_in].type).element_type
    with ir.InsertionPoint(op), op.location:
        index = ir.IndexType.get()
        lane = gpu.LaneIdOp().result
        out_indices = _indices(maps[n_in], last, None)
        init = memref.LoadOp(op.operands[n_in], out_indices).result
        neutral = arith.ConstantOp(elt, NEUTRAL[final.name]).result
        step = arith.ConstantOp(index, WARP_SIZE).result
        loop = scf.ForOp(lane, arith.ConstantOp(index, extent).result, step, [neutral])
        with ir.InsertionPoint(loop.body):
            k = loop.induction_variable
            mapping = {
                body.arguments[i]: memref.LoadOp(op.operands[i], _indices(maps[i], last, k)).result
                for i in range(n_in)
            }
            mapping[body.arguments[n_in]] = loop.inner_iter_args[0]
            for inner in list(body.operations)[:-1]:
                _clone(inner.operation, mapping)
            scf.YieldOp([mapping[body.operations[len(body.operations) - 1].operands[0]]])
        total = _butterfly(loop.results[0], final)
        result = _combine(final, total, init)
        is_first = arith.CmpIOp(arith.CmpIPredicate.eq, lane, arith.ConstantOp(index, 0).result)
        branch = scf.IfOp(is_first.result)
        with ir.InsertionPoint(branch.then_block):
            memref.StoreOp(result, op.operands[n_in], out_indices)
            scf.YieldOp([])
    op.erase()


def _butterfly(value: ir.Value, final: ir.Operation) -> ir.Value:
    """All lanes end with the combination of the warp's 32 values."""
    i32 = ir.IntegerType.get_signless(32)
    width = arith.ConstantOp(i32, WARP_SIZE).result
    xor = ir.Attribute.parse("#gpu<shuffle_mode xor>")
    offset = WARP_SIZE // 2
    while offset:
        other = gpu.ShuffleOp(value, arith.ConstantOp(i32, offset).result, width, xor).results[0]
        value = _combine(final, value, other)
        offset //= 2
    return value


def _combine(final: ir.Operation, a: ir.Value, b: ir.Value) -> ir.Value:
    new = final.clone()
    new.operands[0], new.operands[1] = a, b
    return new.results[0]


def _clone(op: ir.Operation, mapping: dict) -> None:
    new = op.clone()
    for i, operand in enumerate(list(new.operands)):
        if operand in mapping:
            new.operands[i] = mapping[operand]
    for old, result in zip(op.results, new.results, strict=True):
        mapping[old] = result


def _indices(amap: ir.AffineMap, last: int, k: ir.Value | None) -> list[ir.Value]:
    """Indices into a per-warp slice: parallel loops are tiled to 1, the reduction loop is ``k``."""
    index = ir.IndexType.get()
    values = []
    for expr in amap.results:
        try:
            dim = ir.AffineDimExpr(expr).position
        except (ValueError, TypeError):
            values.append(arith.ConstantOp(index, ir.AffineConstantExpr(expr).value).result)
            continue
        values.append(k if dim == last else arith.ConstantOp(index, 0).result)
    return values


def _reduction_extent(op: ir.Operation, maps, last: int) -> int:
    for value, amap in zip(op.operands, maps, strict=False):
        for position, expr in enumerate(amap.results):
            try:
                if ir.AffineDimExpr(expr).position == last:
                    return ir.MemRefType(value.type).shape[position]
            except (ValueError, TypeError):
                continue
    raise ValueError(f"{op.location}: no operand spans the reduction loop")
