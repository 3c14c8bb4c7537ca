"""kiln-vectorize: turn the tiles marked ``kiln.vectorize`` into vector code, contractions into FMAs.

Each marked linalg op becomes vector transfers plus vector arithmetic (masked
to ``kiln.vector_width`` lanes where its last tile is partial). Register-block
contractions become ``vector.contract``, lowered to outer products and then to
``vector.fma`` on broadcasts: mr x (nr / lanes) FMAs per k step. bf16 blocks
(``kiln.blocked = array<i64: mr, nr, 2>``) become ``x86.avx512.dot`` instead
(``bf16_dot``): their contract is lowered in Python between two schedules.
int8 blocks (``array<i64: mr, nr, 4>``) are written as ``vpdpbusd`` kernels
straight from their generics, before any schedule (``int8_dot``).

Pre: output of ``kiln-tile-and-fuse``.
Post: no linalg op carries ``kiln.vectorize``; marked ops are replaced by
vector ops; no ``vector.contract`` or ``vector.outerproduct`` remains;
loop-invariant vector reads/writes of loop-carried tensors (accumulators)
are hoisted out of their ``scf.for`` loops.
Unmarked linalg ops are left for the ``loops`` stage.
"""

from __future__ import annotations

from kiln.lowering.cpu.bf16_dot import lower_bf16_contract
from kiln.lowering.cpu.int8_dot import QUAD, lower_int8_block
from kiln.lowering.cpu.schedules.contraction import FOLD_UNIT_DIMS_ATTR, VECTORIZE_ATTR
from kiln.lowering.cpu.schedules.generic import VECTOR_WIDTH_ATTR
from kiln.passes.common import broadcast_dims, collect_ops
from kiln.passes.contraction_analysis import BLOCKED_ATTR, blocked_k_pack
from kiln.passes.registry import KilnPass, register
from kiln.passes.transform_script import (
    Schedule,
    canonicalization,
    cast_away_leading_unit_dims,
    drop_unit_dims_with_shape_cast,
    fold_arith_extension,
    fold_unit_extent_dims,
    lower_contraction_outerproduct,
    lower_masks,
    lower_outerproduct,
    reduction_to_contract,
    transfer_permutation,
)

from kiln.ir import ir, linalg, rewrite


@register
class Vectorize(KilnPass):
    """Vectorize marked tiles and lower register-block contractions to FMAs."""

    name = "kiln-vectorize"

    def run(self, module: ir.Operation) -> None:
        marked = [op for op in collect_ops(module) if VECTORIZE_ATTR in op.attributes]
        # int8 blocks are written as vpdpbusd kernels straight from their generics.
        marked = [op for op in marked if not (_is_int8_block(op) and lower_int8_block(op))]
        if not marked:
            return
        sched = Schedule(module.context)
        for i, op in enumerate(marked):
            op.attributes[f"kiln.vt{i}"] = ir.UnitAttr.get()
        sched.bind(module, "kiln.vt")
        blocks = []
        bf16 = any(BLOCKED_ATTR in op.attributes and blocked_k_pack(op) == 2 for op in marked)
        for i, op in enumerate(marked):
            tag = f"kiln.vt{i}"
            sizes = _masked_sizes(op)
            if FOLD_UNIT_DIMS_ATTR in op.attributes or BLOCKED_ATTR in op.attributes:
                if FOLD_UNIT_DIMS_ATTR in op.attributes:
                    del op.attributes[FOLD_UNIT_DIMS_ATTR]
                blocks.append(sched.match(attr=tag))
            else:
                # Partial tiles are vectorized with masks at their own rank.
                sched.vectorize(sched.match(attr=tag), sizes)
            del op.attributes[VECTORIZE_ATTR]
        funcs = sched.match(names=["func.func"])
        # Register blocks of contraction groups (marked kiln.fold_unit_dims)
        # lose their unit dims first (the 1 x mr x 1 x nr block), so that
        # vectors are mr x nr; their handles follow the rewritten ops.
        sched.apply_patterns(funcs, [fold_unit_extent_dims, canonicalization])
        for handle in blocks:
            sched.vectorize(handle)
        sched.apply_patterns(funcs, [reduction_to_contract, transfer_permutation])
        sched.apply_patterns(
            funcs, [cast_away_leading_unit_dims, drop_unit_dims_with_shape_cast, canonicalization]
        )
        if bf16:
            # bf16 x bf16 -> f32 contractions become dot products before the f32
            # lowering below sees them: the transform script stops here for that.
            sched.apply_patterns(funcs, [fold_arith_extension, canonicalization])
            sched.apply_patterns(funcs, [reduction_to_contract, canonicalization])
            sched.apply(module)
            _lower_bf16_contracts(module)
            sched = Schedule(module.context)
            funcs = sched.match(names=["func.func"])
        sched.apply_patterns(funcs, [lower_contraction_outerproduct])
        sched.apply_patterns(funcs, [lower_outerproduct, canonicalization])
        sched.apply_patterns(funcs, [lower_masks, canonicalization])
        # The register block's accumulator is read and written on every k
        # step: hoisted here, on tensors, it becomes a loop-carried vector
        # (MLIR's hoisting on buffers gives up on subviews).
        sched.hoist_loop_invariant_subsets(sched.match(names=["scf.for"]))
        sched.apply(module)
        for op in collect_ops(module):
            for attr in [name for name in op.attributes if name.startswith("kiln.vt")]:
                del op.attributes[attr]


def _is_int8_block(op: ir.Operation) -> bool:
    return BLOCKED_ATTR in op.attributes and blocked_k_pack(op) == QUAD


def _lower_bf16_contracts(module: ir.Operation) -> None:
    patterns = rewrite.RewritePatternSet(module.context)
    patterns.add("vector.contract", lower_bf16_contract)
    rewrite.apply_patterns_and_fold_greedily(module, patterns.freeze())


def _masked_sizes(op: ir.Operation) -> list[int] | None:
    """Vector sizes for an op with a partial last tile: its static extents, the width where dynamic."""
    if VECTOR_WIDTH_ATTR not in op.attributes:
        return None
    width = ir.IntegerAttr(op.attributes[VECTOR_WIDTH_ATTR]).value
    del op.attributes[VECTOR_WIDTH_ATTR]
    return [width if e < 0 else e for e in _loop_extents(op)]


def _loop_extents(op: ir.Operation) -> list[int]:
    """Static loop extents of a linalg op (-1 where dynamic), read off its operands' shapes
    through its indexing maps: named ops (a copy, a fill) have them too, and an op on
    buffers has no result to read a shape from."""
    maps = [ir.AffineMapAttr(a).value for a in linalg.get_indexing_maps(op)]
    extents = [1] * maps[0].n_dims
    for value, amap in zip(op.operands, maps, strict=True):
        if not isinstance(value.type, ir.ShapedType):
            continue  # a fill's scalar
        for d, size in zip(broadcast_dims(amap) or [], _shape(value), strict=False):
            if d >= 0:
                extents[d] = size if size >= 0 else -1
    return extents


def _shape(value: ir.Value) -> list[int]:
    ty = ir.ShapedType(value.type)
    return [-1 if ty.is_dynamic_dim(i) else ty.get_dim_size(i) for i in range(ty.rank)]
