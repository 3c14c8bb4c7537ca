"""kiln-pack-conv-filters: constant filters are stored in the order the conv kernel reads them.

The convolution schedule (``lowering/cpu/schedules/conv.py``) reads an HWCF filter
in tiles of ``kc`` input channels x ``nr`` output channels: ``kc`` pieces of
``nr`` floats, each a whole filter row (all output channels) apart. At batch 1
the weights of a network do not stay in cache, and such short, widely strided
pieces are what hardware prefetchers follow worst.

This pass stores each such filter, at compile time, as
``P[kh][kw][F/nr][C][nr]`` (``P[kh, kw, b, c, j] = W[kh, kw, c, b*nr + j]``)
and rewrites every tile read into a read of ``P``, in which a tile is one
contiguous run of ``kc * nr`` floats:

    %t = tensor.extract_slice %W[%kh, %kw, %c, %f] [1, 1, kc, nr] [1, 1, 1, 1]
      ->
    %b = arith.divui %f, nr
    %p = tensor.extract_slice %P[%kh, %kw, %b, %c, 0] [1, 1, 1, kc, nr] [1, 1, 1, 1, 1]
    %t = tensor.collapse_shape %p [[0], [1], [2, 3], [4]]

The values read are the same; only the constant's layout changes. A rank-reducing
read (a 1x1 filter's tile as ``conv_1d``'s ``kc x nr`` filter) collapses to its own
type instead.

Grouped convolutions' G x KH x KW x C x F filters (``grouped_conv.py``) are
packed the same way per group, as ``P[g][kh][kw][F/nr][C][nr]``.

Applies to a rank-4 (or rank-5, grouped) f32 ``arith.constant`` whose every
use is such a slice, all with the same ``nr`` (< F, dividing F) and unit
strides, and whose output-channel offsets are provably multiples of ``nr``
(constants, and induction variables of ``scf.for``/``scf.forall`` loops with
such bounds and steps, added together).
A use may also be a thread's share of the output channels (``[kh, kw, C, chunk]``
at an offset that is a multiple of ``nr``, as a forall split over channel
blocks makes) when that share is only read by such tiles; the tiles then read
the packed constant directly.

Pre: the ``tiled`` stage's output (tensors, the conv tiled to register blocks).
Post: the rewritten filters are read only through the packed constant.
"""

from __future__ import annotations

import numpy as np
from kiln.passes.common import collapse_to, collect_ops, defining_op, dense_constant, users
from kiln.passes.registry import KilnPass, register

from kiln.ir import arith, ir, tensor

DYNAMIC = ir.ShapedType.get_dynamic_size()


@register
class PackConvFilters(KilnPass):
    """Re-lay out constant conv filters so that each register tile is contiguous."""

    name = "kiln-pack-conv-filters"

    def run(self, module: ir.Operation) -> None:
        for const in collect_ops(module, ["arith.constant"]):
            slices = _tile_reads(const)
            if slices:
                _pack(const, slices)


def _tile_reads(const: ir.Operation) -> list[tuple[ir.Operation, object]]:
    """The tile reads of ``const`` with the output-channel offset of what they slice.

    A tile read slices the constant itself (offset 0), or a thread's share of
    its output channels (``[kh, kw, c, chunk]`` at an offset, as a forall
    split over channel blocks makes), which is read only by tile reads.
    [] unless every use is such, all with one width ``nr``.
    """
    ty = const.results[0].type
    if not isinstance(ty, ir.RankedTensorType) or not isinstance(
        ir.RankedTensorType(ty).element_type, ir.F32Type
    ):
        return []
    shape = ir.RankedTensorType(ty).shape
    value = const.attributes["value"]
    if len(shape) not in (4, 5) or not isinstance(value, ir.DenseElementsAttr):
        return []
    if ir.DenseElementsAttr(value).is_splat:  # every layout of a splat is the same
        return []
    reads: list[tuple[ir.Operation, object]] = []
    for op in users(const.results[0]):
        sizes = _unit_stride_sizes(op, const.results[0])
        if sizes is None:
            return []
        offsets = slice_offsets(op)
        inner = users(op.results[0])
        if (
            sizes[:-1] == shape[:-1]
            and offsets[:-1] == [0] * (len(shape) - 1)
            and inner
            and all(_unit_stride_sizes(i, op.results[0]) is not None for i in inner)
        ):
            reads.extend((i, offsets[-1]) for i in inner)  # a thread's share, read in tiles
        else:
            reads.append((op, 0))
    widths = set()
    for op, base in reads:
        sizes = list(ir.DenseI64ArrayAttr(op.attributes["static_sizes"]))
        nr = sizes[-1]
        if any(s != 1 for s in sizes[:-2]) or nr >= shape[-1] or shape[-1] % nr:
            return []
        if not (multiple_of(slice_offsets(op)[-1], nr) and multiple_of(base, nr)):
            return []
        widths.add(nr)
    return reads if len(widths) == 1 else []


def _unit_stride_sizes(op: ir.Operation, source: ir.Value) -> list[int] | None:
    """The static sizes of ``op`` if it is a unit-stride extract_slice of ``source``."""
    if op.name != "tensor.extract_slice" or op.operands[0] != source:
        return None
    sizes = list(ir.DenseI64ArrayAttr(op.attributes["static_sizes"]))
    strides = list(ir.DenseI64ArrayAttr(op.attributes["static_strides"]))
    if DYNAMIC in sizes or any(s != 1 for s in strides):
        return None
    return sizes


def slice_offsets(op: ir.Operation) -> list:
    """The slice's offsets: ints for static ones, Values for dynamic ones."""
    static = list(ir.DenseI64ArrayAttr(op.attributes["static_offsets"]))
    dynamic = iter(op.operands[1:])
    return [next(dynamic) if o == DYNAMIC else o for o in static]


def multiple_of(offset, n: int) -> bool:
    """True if ``offset`` (an int or an index Value) is always a multiple of ``n``."""
    if isinstance(offset, int):
        return offset % n == 0
    producer = defining_op(offset)
    if producer is None:
        return _loop_variablemultiple_of(offset, n)
    if producer.name == "arith.constant":
        return ir.IntegerAttr(producer.attributes["value"]).value % n == 0
    if producer.name == "arith.addi":
        return all(multiple_of(v, n) for v in producer.operands)
    if producer.name == "affine.apply":
        return _affinemultiple_of(producer, n)
    return False


def _loop_variablemultiple_of(value: ir.Value, n: int) -> bool:
    block = value.owner
    loop = block.owner
    if loop.name == "scf.for" and value == block.arguments[0]:
        lower, _, step = loop.operands[0], loop.operands[1], loop.operands[2]
        return multiple_of(lower, n) and multiple_of(step, n)
    if loop.name == "scf.forall" and "staticStep" in loop.attributes:
        index = list(block.arguments).index(value)
        lower = list(ir.DenseI64ArrayAttr(loop.attributes["staticLowerBound"]))[index]
        step = list(ir.DenseI64ArrayAttr(loop.attributes["staticStep"]))[index]
        return DYNAMIC not in (lower, step) and lower % n == 0 and step % n == 0
    return False


def _affinemultiple_of(apply: ir.Operation, n: int) -> bool:
    """affine.apply of a single-result map that is a sum of multiples of n."""
    amap = ir.AffineMapAttr(apply.attributes["map"]).value
    if len(amap.results) != 1:
        return False
    operands = list(apply.operands)
    n_dims = amap.n_dims

    def check(expr) -> bool:
        if isinstance(expr, ir.AffineConstantExpr):
            return expr.value % n == 0
        if isinstance(expr, ir.AffineDimExpr):
            return multiple_of(operands[expr.position], n)
        if isinstance(expr, ir.AffineSymbolExpr):
            return multiple_of(operands[n_dims + expr.position], n)
        if isinstance(expr, ir.AffineAddExpr):
            return check(expr.lhs) and check(expr.rhs)
        if isinstance(expr, ir.AffineMulExpr):
            for factor, other in ((expr.rhs, expr.lhs), (expr.lhs, expr.rhs)):
                if isinstance(factor, ir.AffineConstantExpr):
                    return factor.value % n == 0 or check(other)
            return check(expr.lhs) or check(expr.rhs)
        return False

    return check(amap.results[0])


def _pack(const: ir.Operation, reads: list[tuple[ir.Operation, object]]) -> None:
    weights = np.array(ir.DenseElementsAttr(const.attributes["value"]))
    *lead, c, f = weights.shape
    rank = weights.ndim
    nr = list(ir.DenseI64ArrayAttr(reads[0][0].attributes["static_sizes"]))[-1]
    order = [*range(len(lead)), rank - 1, rank - 2, rank]  # lead..., F/nr, C, nr
    packed = np.ascontiguousarray(weights.reshape(*lead, c, f // nr, nr).transpose(order))
    f32 = ir.F32Type.get()
    with ir.InsertionPoint(const), const.location:
        packed_value = dense_constant(packed, f32)
    thread_slices = {}
    for op, base in reads:
        offsets = slice_offsets(op)
        sizes = list(ir.DenseI64ArrayAttr(op.attributes["static_sizes"]))
        if op.operands[0] != const.results[0]:
            thread_slices[defining_op(op.operands[0])] = None
        with ir.InsertionPoint(op), op.location:
            block = block_index(base, offsets[-1], nr)
            new_offsets = [*offsets[:-2], block, offsets[-2], 0]
            static = [o if isinstance(o, int) else DYNAMIC for o in new_offsets]
            dynamic = [o for o in new_offsets if not isinstance(o, int)]
            tile = [*sizes[:-2], 1, sizes[-2], nr]
            piece = tensor.extract_slice(
                ir.RankedTensorType.get(tile, f32),
                packed_value,
                dynamic,
                [],
                [],
                static,
                tile,
                [1] * (rank + 1),
            )
            # A rank-reducing read (a 1x1 filter's tile as conv_1d's kc x nr) keeps its type.
            same = collapse_to(piece, _unit_dim_groups(tile, _result_shape(op)))
        op.results[0].replace_all_uses_with(same)
        op.erase()
    for op in thread_slices:
        op.erase()
    const.erase()


def _result_shape(op: ir.Operation) -> list[int]:
    return list(ir.RankedTensorType(op.results[0].type).shape)


def _unit_dim_groups(shape: list[int], target: list[int]) -> list[list[int]]:
    """Reassociation groups collapsing ``shape`` to ``target``, which is ``shape`` less
    some unit dims (the type of a rank-reducing slice). Each target dim takes source
    dims until their product is reached; trailing unit dims join the last group."""
    groups: list[list[int]] = []
    dim = 0
    for size in target:
        group = [dim]
        while int(np.prod([shape[d] for d in group])) != size:
            dim += 1
            group.append(dim)
        groups.append(group)
        dim += 1
    groups[-1].extend(range(dim, len(shape)))
    return groups


def block_index(base, offset, nr: int):
    """(base + offset) // nr, folded where both are ints; both are multiples of nr."""
    if isinstance(base, int) and isinstance(offset, int):
        return (base + offset) // nr
    index = ir.IndexType.get()
    terms = [v for v in (base, offset) if not (isinstance(v, int) and v == 0)]
    values = [v if not isinstance(v, int) else arith.constant(index, v) for v in terms]
    total = values[0] if len(values) == 1 else arith.addi(values[0], values[1])
    return arith.divui(total, arith.constant(index, nr))
