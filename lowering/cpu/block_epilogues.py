"""kiln-block-epilogues: give a blocked contraction's elementwise consumers its block layout.

After ``kiln-pack-contractions`` a contraction result is used through a
``tensor.collapse_shape`` back to [.., M, N]. An elementwise consumer (bias
add, activation, residual add) of that value is rewritten over the blocked
loops (.., m1, m0, .., n1, n0): its operands are reshaped the same way (free
reshapes), its body is moved over, and its result is collapsed back. A
``linalg.index`` of an original loop becomes the linearized index of the loops
it was split into (row = m1 * mr + m0): the body would otherwise read block
coordinates where it meant rows and columns.
The contraction and its epilogue then share one iteration space, so
``kiln-tile-and-fuse`` can fuse them tile by tile. The rewrite repeats down
chains of elementwise ops.

A contraction whose M or N was padded up to whole blocks is used through a
``tensor.extract_slice`` of that collapse (its leading rows and columns). Its
consumer is then blocked over the padded space: its other operands are padded
with zeros in the padded dimensions (a bias, which lacks them, is not), and
its result is sliced back. The padded rows compute values nobody reads, so a
body that could trap on them (integer division) is left alone.

Pre: output of ``kiln-pack-contractions``.
Post: every all-parallel ``linalg.generic`` with identity output map whose
operand is ``collapse_shape(blocked)``, or a leading slice of one, at an identity
map is itself blocked (``kiln.epilogue`` marks it); types seen by other users
are unchanged.
"""

from __future__ import annotations

from kiln.passes.common import (
    affine_map,
    collapse_to,
    collect_ops,
    defining_op,
    has_bool_tensors,
    indexing_maps,
    iterator_types,
    map_dims,
    split_dim,
    static_shape,
)
from kiln.passes.contraction_analysis import BLOCKED_ATTR
from kiln.passes.padded_slices import leading_slice, leading_slice_source, may_trap, padded_operand
from kiln.passes.registry import KilnPass, register

from kiln.ir import arith, ir, linalg

EPILOGUE_ATTR = "kiln.epilogue"


@register
class BlockEpilogues(KilnPass):
    """Rewrite elementwise consumers of blocked contractions into the block layout."""

    name = "kiln-block-epilogues"

    def run(self, module: ir.Operation) -> None:
        changed = True
        while changed:
            changed = False
            for op in collect_ops(module, ["linalg.generic"]):
                layout = _blocked_layout(op)
                if layout is not None:
                    _expand(op, *layout)
                    changed = True


def _blocked_layout(op: ir.Operation):
    """(operand index, reassociation groups, blocked shape) if ``op`` can be blocked."""
    if BLOCKED_ATTR in op.attributes or EPILOGUE_ATTR in op.attributes:
        return None
    if len(op.results) != 1 or "reduction" in iterator_types(op) or has_bool_tensors(op):
        return None
    maps = indexing_maps(op)
    n_loops = maps[0].n_dims
    if map_dims(maps[-1]) != list(range(n_loops)) or any(map_dims(m) is None for m in maps):
        return None
    for index, value in enumerate(list(op.operands)[:-1]):
        if map_dims(maps[index]) != list(range(n_loops)):
            continue
        collapse, padded = _blocked_source(value)
        if collapse is None:
            continue
        if padded != static_shape(value) and may_trap(op):
            continue
        groups = [
            [ir.IntegerAttr(i).value for i in ir.ArrayAttr(g)]
            for g in ir.ArrayAttr(collapse.attributes["reassociation"])
        ]
        return index, groups, static_shape(collapse.operands[0]), padded
    return None


def _blocked_source(value: ir.Value):
    """(the ``collapse_shape`` of a blocked op ``value`` reads, its collapsed shape), or
    (None, None): ``value`` is that collapse or a leading slice of it."""
    op = defining_op(leading_slice_source(value) or value)
    if op is None or op.name != "tensor.collapse_shape":
        return None, None
    source = defining_op(op.operands[0])
    if source is None or not (
        BLOCKED_ATTR in source.attributes or EPILOGUE_ATTR in source.attributes
    ):
        return None, None
    return op, static_shape(op.results[0])


def _expand(
    op: ir.Operation,
    index: int,
    groups: list[list[int]],
    blocked_shape: list[int],
    padded: list[int],
) -> None:
    """``op`` over the blocked loops; ``padded`` are its loops' sizes padded to whole blocks."""
    maps = indexing_maps(op)
    n_new = len(blocked_shape)
    new_dims = {d: group for d, group in enumerate(groups)}
    sizes = static_shape(op.results[0])
    with ir.InsertionPoint(op), op.location:
        operands, new_maps = [], []
        for value, amap in zip(op.operands, maps, strict=True):
            dims = map_dims(amap)
            if dims is None:
                raise ValueError("kiln-block-epilogues: non-permutation map")  # guarded by caller
            expanded = padded_operand(value, [padded[d] for d in dims])
            # Split operand dims from the last, so positions stay valid.
            for pos in reversed(range(len(dims))):
                group = new_dims[dims[pos]]
                if len(group) > 1:
                    expanded = split_dim(expanded, pos, [blocked_shape[g] for g in group])
            operands.append(expanded)
            new_maps.append([g for d in dims for g in new_dims[d]])
        n_in = len(operands) - 1
        generic = linalg.GenericOp(
            [operands[-1].type],
            operands[:n_in],
            operands[n_in:],
            ir.ArrayAttr.get([ir.AffineMapAttr.get(affine_map(n_new, m)) for m in new_maps]),
            ir.ArrayAttr.get([ir.Attribute.parse("#linalg.iterator_type<parallel>")] * n_new),
        )
        op.regions[0].blocks[0].append_to(generic.regions[0])
        _remap_indices(generic.operation, groups, blocked_shape)
        generic.operation.attributes[EPILOGUE_ATTR] = ir.UnitAttr.get()
        result = collapse_to(generic.result, groups)
        result = leading_slice(result, sizes)
    op.results[0].replace_all_uses_with(result)
    op.erase()


def _remap_indices(op: ir.Operation, groups: list[list[int]], blocked_shape: list[int]) -> None:
    """Rewrites each ``linalg.index d`` of the moved body over the blocked loops:
    ``linalg.index 1`` of an 8 x 16 epilogue blocked as (2, 4, 1, 16) becomes
    ``index 2 * 16 + index 3``."""
    for index in collect_ops(op, ["linalg.index"]):
        group = groups[ir.IntegerAttr(index.attributes["dim"]).value]
        with ir.InsertionPoint(index), index.location:
            value = _index(group[0])
            for loop in group[1:]:
                size = arith.constant(ir.IndexType.get(), blocked_shape[loop])
                value = arith.addi(arith.muli(value, size), _index(loop))
        index.results[0].replace_all_uses_with(value)
        index.erase()


def _index(loop: int) -> ir.Value:
    i64 = ir.IntegerType.get_signless(64)
    return linalg.IndexOp(ir.IntegerAttr.get(i64, loop)).result
