"""kiln-gpu-hoist-accumulators: keep a warp's mma accumulators in registers across the k loop.

After ``kiln-gpu-map`` a tensor-core matmul kernel reads each ``16 x 8``
piece of its warp's C tile at the top of every k step and writes it back
at the bottom. MLIR's redundant-transfer hoisting refuses transfers on
views (the warp's tile is a ``memref.subview`` of C), so this pass does it
for the case the mma schedule produces: in an ``scf.for`` without results,
every ``vector.transfer_read`` / ``vector.transfer_write`` pair on the same
loop-invariant memref at the same loop-invariant indices is hoisted when
nothing else in the loop touches that memref's buffer and the pairs' pieces
are statically disjoint. The reads move before the loop, the values travel
as ``iter_args`` (registers after ``convert-vector-to-gpu``), the writes
move after it.

When the pieces were just set to a constant (the matmul's zero fill, cut
into the same pieces by the mma schedule) the accumulators start from that
constant instead of reading it back, and the constant stores, which the
write after the loop overwrites, are dropped: C is written once.

Run ``loop-invariant-code-motion`` and ``cse`` first: the warp's subview and its
thread-id arithmetic are computed inside the loop until then.

Pre: bufferized kernels after ``kiln-gpu-map`` (vector transfers on memrefs).
Post: such pairs are out of their loops; a hoisted read of a piece stored
with a constant earlier in its block (only barriers, index arithmetic, views
and other pieces' transfers in between) is that constant, and that store is
gone when the loop runs at least once.
"""

from __future__ import annotations

from kiln.passes.common import collect_ops, defining_op
from kiln.passes.registry import KilnPass, register

from kiln.ir import ir, scf

VIEW_OPS = (
    "memref.subview",
    "memref.cast",
    "memref.reinterpret_cast",
    "memref.expand_shape",
    "memref.collapse_shape",
)


@register
class GpuHoistAccumulators(KilnPass):
    """Hoist loop-invariant vector read/write pairs on views out of result-less scf.for loops."""

    name = "kiln-gpu-hoist-accumulators"

    def run(self, module: ir.Operation) -> None:
        # Innermost loops first: a pair hoisted out of one loop may then leave its parent.
        for loop in reversed(collect_ops(module, ["scf.for"])):
            if not loop.results:
                pairs = _hoistable_pairs(loop)
                if pairs:
                    _hoist(loop, pairs)
                    _start_from_constants(pairs)


def _hoistable_pairs(loop: ir.Operation) -> list[tuple[ir.Operation, ir.Operation]]:
    body = loop.regions[0].blocks[0]
    reads, writes = {}, {}
    for op in body.operations:
        op = op.operation
        if op.name not in ("vector.transfer_read", "vector.transfer_write"):
            continue
        source = _source(op)
        if not (_outside(source, loop) and all(_outside(i, loop) for i in _indices(op))):
            continue
        key = (source, tuple(_index_key(i) for i in _indices(op)), str(_vector_type(op)))
        table = reads if op.name == "vector.transfer_read" else writes
        table.setdefault(key, []).append(op)
    pairs = []
    for key, found in reads.items():
        written = writes.get(key, [])
        if len(found) == 1 and len(written) == 1 and _before(found[0], written[0]):
            read, write = found[0], written[0]
            if _permutation(read) == _permutation(write) and _masks_free(read, write):
                pairs.append((read, write))
    if not pairs:
        return []
    paired = [op for pair in pairs for op in pair]
    roots = {_root(p[0].operands[0]) for p in pairs}
    for op in _nested_ops(body):
        if any(op == other for other in paired):
            continue
        for operand in op.operands:
            if isinstance(operand.type, ir.MemRefType) and _root(operand) in roots:
                return []  # the buffer is touched elsewhere in the loop: keep everything
    return pairs if _disjoint([read for read, _ in pairs]) else []


def _hoist(loop: ir.Operation, pairs: list[tuple[ir.Operation, ir.Operation]]) -> None:
    old_body = loop.regions[0].blocks[0]
    for read, _ in pairs:
        read.move_before(loop)
    inits = [read.results[0] for read, _ in pairs]
    with loop.location, ir.InsertionPoint(loop):
        new = scf.ForOp(loop.operands[0], loop.operands[1], loop.operands[2], inits)
    new_body = new.body
    old_body.arguments[0].replace_all_uses_with(new_body.arguments[0])
    for (read, _), arg in zip(pairs, list(new_body.arguments)[1:], strict=True):
        for use in list(read.results[0].uses):
            owner = use.owner.operation if isinstance(use.owner, ir.OpView) else use.owner
            if _inside(owner, loop):
                owner.operands[use.operand_number] = arg
    with loop.location, ir.InsertionPoint(new_body):
        new_yield = scf.YieldOp([write.operands[0] for _, write in pairs])
    for op in list(old_body.operations):
        if op.operation.name != "scf.yield":
            op.operation.move_before(new_yield)
    for (_, write), result in zip(pairs, new.results, strict=True):
        write.move_after(new.operation)
        write.operands[0] = result
    loop.erase()


# Ops that may stand between a constant store and the hoisted read it feeds.
FORWARD_THROUGH = ("gpu.barrier", "memref.subview", "affine.apply", "arith.constant")
FORWARD_THROUGH_DIALECTS = ("gpu.thread_id", "gpu.block_id", "gpu.lane_id", "index.")


def _start_from_constants(pairs: list[tuple[ir.Operation, ir.Operation]]) -> None:
    """Hoisted reads of pieces just stored with a constant become that constant (see docstring)."""
    loop = defining_op(pairs[0][1].operands[0])  # each write-back stores a result of the loop
    runs = _static_trip_count(loop)
    for read, write in pairs:
        store = _constant_store_before(read)
        if store is None:
            continue
        read.results[0].replace_all_uses_with(store.operands[0])
        read.erase()
        if runs is not None and runs >= 1 and write.operands[1] == store.operands[1]:
            store.erase()  # the write after the loop overwrites the piece


def _constant_store_before(read: ir.Operation) -> ir.Operation | None:
    """The store of a constant to ``read``'s exact piece, before it in its block, if nothing
    between them can change that piece."""
    key = _piece(read)
    block = [o.operation for o in read.block.operations]
    for op in reversed(block[: block.index(read)]):
        name = op.name
        if name == "vector.transfer_write":
            if _piece(op) == key:
                value = defining_op(op.operands[0])
                return op if value is not None and value.name == "arith.constant" else None
            if op.operands[1] == read.operands[0] and _disjoint([read, op]):
                continue  # another piece of the same view
            if _root(op.operands[1]) != _root(read.operands[0]):
                continue  # another buffer (distinct kernel arguments do not alias)
            return None
        if name == "vector.transfer_read" or name in FORWARD_THROUGH:
            continue
        if name.startswith(FORWARD_THROUGH_DIALECTS):
            continue
        return None
    return None


def _piece(op: ir.Operation):
    return (_source(op), tuple(_index_key(i) for i in _indices(op)), str(_vector_type(op)))


def _static_trip_count(loop: ir.Operation) -> int | None:
    bounds = [_constant_index(v) for v in loop.operands[:3]]
    if None in bounds or bounds[2] <= 0:
        return None
    lower, upper, step = bounds
    return max(0, (upper - lower + step - 1) // step)


def _nested_ops(block: ir.Block) -> list[ir.Operation]:
    found = []
    for op in block.operations:
        op = op.operation
        found.append(op)
        for region in op.regions:
            for inner in region.blocks:
                found += _nested_ops(inner)
    return found


def _source(op: ir.Operation) -> ir.Value:
    """The memref a vector.transfer_read / transfer_write accesses."""
    return op.operands[0 if op.name == "vector.transfer_read" else 1]


def _indices(op: ir.Operation) -> list[ir.Value]:
    first = 1 if op.name == "vector.transfer_read" else 2
    count = len(ir.ShapedType(op.operands[first - 1].type).shape)
    return list(op.operands[first : first + count])


def _index_key(value: ir.Value):
    constant = _constant_index(value)
    return ("c", constant) if constant is not None else ("v", value)


def _constant_index(value: ir.Value) -> int | None:
    op = defining_op(value)
    if op is not None and op.name == "arith.constant":
        return ir.IntegerAttr(op.attributes["value"]).value
    return None


def _vector_type(op: ir.Operation) -> ir.Type:
    return op.results[0].type if op.name == "vector.transfer_read" else op.operands[0].type


def _permutation(op: ir.Operation) -> str:
    return str(op.attributes["permutation_map"]) if "permutation_map" in op.attributes else ""


def _masks_free(read: ir.Operation, write: ir.Operation) -> bool:
    """No mask operand (the reads/writes the schedule emits are in bounds, unmasked)."""
    return len(read.operands) == 2 + len(_indices(read)) and len(write.operands) == 2 + len(
        _indices(write)
    )


def _disjoint(transfers: list[ir.Operation]) -> bool:
    """Their pieces on the same memref do not overlap: constant offsets at least a piece apart."""
    by_source: dict = {}
    for op in transfers:
        offsets = [_constant_index(i) for i in _indices(op)]
        shape = ir.VectorType(_vector_type(op)).shape
        by_source.setdefault(_source(op), []).append((offsets, shape))
    for pieces in by_source.values():
        if len(pieces) == 1:
            continue
        for i, (a, shape_a) in enumerate(pieces):
            for b, shape_b in pieces[i + 1 :]:
                if None in a or None in b:
                    return False
                trailing = len(shape_a)
                apart = any(
                    x + sx <= y or y + sy <= x
                    for x, y, sx, sy in zip(
                        a[-trailing:], b[-trailing:], shape_a, shape_b, strict=True
                    )
                )
                if not apart:
                    return False
    return True


def _root(value: ir.Value) -> ir.Value:
    """The buffer a memref value views (through subview and cast chains)."""
    while (op := defining_op(value)) is not None and op.name in VIEW_OPS:
        value = op.operands[0]
    return value


def _outside(value: ir.Value, loop: ir.Operation) -> bool:
    owner = value.owner
    if isinstance(owner, ir.Block):
        parent = owner.owner
        return parent is not None and not (parent == loop or _inside(parent, loop))
    return not _inside(owner.operation, loop)


def _inside(op: ir.Operation, loop: ir.Operation) -> bool:
    parent = op.parent
    while parent is not None:
        if parent == loop:
            return True
        parent = parent.parent
    return False


def _before(a: ir.Operation, b: ir.Operation) -> bool:
    """``a`` comes before ``b`` in their (common) block."""
    return a.operation.is_before_in_block(b.operation)
