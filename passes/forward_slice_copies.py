"""kiln-forward-slice-copies: a temporary copied whole into a contiguous slice is that slice.

One-shot bufferization writes at most one result of an op in place when several of
its results are inserted into slices of one tensor: it cannot prove the slices
disjoint. Winograd's transforms (``kiln-winograd-conv``) write 16 or 36 results into
the slices V[e] of one [alpha^2, ...] tensor; all but one got a fresh buffer and a
whole-buffer copy into its slice, 52 copy loops per convolution. Inside a block of
tile rows those copies were scalar loops that took LLVM's loop passes minutes
(ResNet-18's library step 4.5 s -> 164 s). This pass makes the writers write the
slice directly:

    %t = memref.alloc() ; <ops write %t> ; memref.copy %t, %s   (%s = subview %root[e, 0..])
    -> <ops write %s'>   (%s' = the same subview of %root, made before %t's first use)

Conditions (else the copy stays): %t and %root are ``memref.alloc`` without operands
in the copy's block; %s is a subview of %root with static offsets, sizes and strides
and %t's shape and strides (only the offset differs, so the writers' types hold);
every use of %t precedes the copy and is a linalg op, a vector transfer, a load, a
store, a copy or a subview with a dynamic offset; and no op from %t's first use to
the copy touches %root except through static subviews whose boxes are disjoint from
%s's.

Pre: bufferized IR straight after ``one-shot-bufferize`` (no deallocations yet).
Post: every forwarded copy and its temporary are gone; other copies are untouched.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiln.passes.common import collect_ops, defining_op
from kiln.passes.registry import KilnPass, register

from kiln.ir import ir

# Ops through which a buffer is seen again (aliases, not accesses).
VIEWS = (
    "memref.subview",
    "memref.cast",
    "memref.collapse_shape",
    "memref.expand_shape",
    "memref.reinterpret_cast",
    "memref.transpose",
    "memref.view",
)
# Users of the temporary that accept any strided layout of the same shape.
LAYOUT_AGNOSTIC = ("linalg.", "vector.transfer_", "memref.load", "memref.store", "memref.copy")

Box = list[tuple[int, int]]


@register
class ForwardSliceCopies(KilnPass):
    """Write fresh buffers' contents straight into the slices they were copied into."""

    name = "kiln-forward-slice-copies"

    def run(self, module: ir.Operation) -> None:
        accesses = RootAccesses()
        for copy in collect_ops(module, ["memref.copy"]):
            _forward(copy, accesses)


class RootAccesses:
    """Every access of each root buffer seen so far, found once per root.

    Checking a copy against its root walks the root's uses; done per copy, a
    Winograd layer's 36 slices cost 36 x 36 walks (DenseNet-121: 2-3 s). The
    accesses are collected once and kept current as copies are forwarded.
    """

    def __init__(self) -> None:
        self._by_root: dict[ir.Operation, list[Access]] = {}

    def of(self, root: ir.Operation) -> list[Access]:
        """The accesses of ``root``'s buffer (collected on first request)."""
        if root not in self._by_root:
            self._by_root[root] = _accesses(root.results[0], None, root.block)
        return self._by_root[root]

    def forwarded(self, root: ir.Operation, copy, temp, slice_: ir.Operation, box) -> None:
        """Records that ``temp``'s users now access ``root`` through ``slice_`` (``box``)
        and that ``copy`` is gone."""
        # The slice's accesses include ``copy`` itself (its source is the slice now):
        # filtered after extending, or the erased copy stays listed.
        found = self.of(root) + _accesses(slice_.results[0], box, root.block)
        self._by_root[root] = [a for a in found if a.owner != copy]
        self._by_root.pop(temp, None)


@dataclass(frozen=True)
class Access:
    """An op using a root buffer: the op, its ancestor in the root's block (None when
    outside it) and the static box of the root it reaches (None: unknown, all of it)."""

    owner: ir.Operation
    anchor: ir.Operation | None
    region: Box | None


def _accesses(value: ir.Value, region: Box | None, block: ir.Block) -> list[Access]:
    """The non-view users of ``value`` and of the views of it, with their boxes."""
    found: list[Access] = []
    pending: list[tuple[ir.Value, Box | None]] = [(value, region)]
    root = value
    while pending:
        value, region = pending.pop()
        for use in value.uses:
            owner = _operation(use.owner)
            if owner.name in VIEWS:
                inner = (
                    _static_box(owner) if value == root and owner.name == "memref.subview" else None
                )
                pending.extend((r, region or inner) for r in owner.results)
                continue
            found.append(Access(owner, _in_block(owner, block), region))
    return found


def _forward(copy: ir.Operation, accesses: RootAccesses) -> None:
    source, target = copy.operands[0], copy.operands[1]
    temp, view = defining_op(source), defining_op(target)
    if not _fresh(temp, copy.block) or view is None or view.name != "memref.subview":
        return
    root = defining_op(view.operands[0])
    if not _fresh(root, copy.block) or len(view.operands) != 1:
        return
    box = _static_box(view)
    if box is None or not _same_strides(source.type, target.type):
        return
    first = _first_use(source, copy)
    if first is None or not root.is_before_in_block(first):
        return
    if _touched_between(accesses.of(root), box, first, copy):
        return
    slice_ = view.clone(ip=ir.InsertionPoint(first))
    source.replace_all_uses_with(slice_.results[0])
    accesses.forwarded(root, copy, temp, slice_, box)
    copy.erase()
    temp.erase()


def _fresh(op: ir.Operation | None, block: ir.Block) -> bool:
    """A static ``memref.alloc`` in ``block``."""
    return op is not None and op.name == "memref.alloc" and not op.operands and op.block == block


def _static_box(view: ir.Operation) -> Box | None:
    """[(first, last)] index per source dimension of a static subview, else None."""
    dynamic = ir.ShapedType.get_dynamic_stride_or_offset()
    fields = [list(ir.DenseI64ArrayAttr(view.attributes[f"static_{k}"])) for k in _FIELDS]
    if any(dynamic in values or ir.ShapedType.get_dynamic_size() in values for values in fields):
        return None
    offsets, sizes, strides = fields
    return [(o, o + (s - 1) * t) for o, s, t in zip(offsets, sizes, strides, strict=True)]


_FIELDS = ("offsets", "sizes", "strides")


def _same_strides(source: ir.Type, target: ir.Type) -> bool:
    src, dst = ir.MemRefType(source), ir.MemRefType(target)
    if src.shape != dst.shape or src.element_type != dst.element_type:
        return False
    return src.get_strides_and_offset()[0] == dst.get_strides_and_offset()[0]


def _first_use(value: ir.Value, copy: ir.Operation) -> ir.Operation | None:
    """The first op of the copy's block using ``value`` (itself or an op it nests), if every
    use precedes the copy and keeps its type under a new offset; else None."""
    first = None
    for use in value.uses:
        owner = _operation(use.owner)
        if owner == copy:
            continue
        if not _offset_agnostic(owner):
            return None
        anchor = _in_block(owner, copy.block)
        if anchor is None or not anchor.is_before_in_block(copy):
            return None
        if first is None or anchor.is_before_in_block(first):
            first = anchor
    return first


def _offset_agnostic(op: ir.Operation) -> bool:
    if op.name.startswith(LAYOUT_AGNOSTIC):
        return True
    if op.name != "memref.subview":
        return False
    offset = ir.MemRefType(op.results[0].type).get_strides_and_offset()[1]
    return offset == ir.ShapedType.get_dynamic_stride_or_offset()


def _touched_between(
    accesses: list[Access], box: Box, first: ir.Operation, copy: ir.Operation
) -> bool:
    """Whether an access from ``first`` to ``copy`` (excluded) may touch ``box``."""
    for access in accesses:
        if access.region is not None and _disjoint(access.region, box):
            continue
        if access.owner == copy:
            continue
        anchor = access.anchor
        if anchor is None or (
            not anchor.is_before_in_block(first) and anchor.is_before_in_block(copy)
        ):
            return True
    return False


def _disjoint(a: Box, b: Box) -> bool:
    return any(a_hi < b_lo or b_hi < a_lo for (a_lo, a_hi), (b_lo, b_hi) in zip(a, b, strict=True))


def _in_block(op: ir.Operation, block: ir.Block) -> ir.Operation | None:
    """``op`` or the op that nests it in ``block``; None if it is not in ``block``."""
    while op is not None and op.block != block:
        parent = op.parent
        op = None if parent is None else _operation(parent)
    return op


def _operation(op) -> ir.Operation:
    return op.operation if hasattr(op, "operation") else op
