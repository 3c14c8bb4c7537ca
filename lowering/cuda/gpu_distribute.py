"""kiln-gpu-distribute: the buffer-level half of the GPU schedules.

1. matmul steps marked ``kiln.gpu.promote`` get their A and B tiles staged in
   shared memory and are tiled to threads (``kiln.gpu.thread_tile``) and
   vectorized (``gpu_matmul.promote_and_distribute``);
2. each shared-memory buffer becomes a ``memref.global`` in the workgroup
   address space, fetched inside its kernel (a ``memref.alloc`` there would
   lower to a device-side malloc), and each copy into it becomes a
   ``linalg.copy`` spread over all the block's threads with vector accesses;
3. matmul steps marked ``kiln.gpu.mma`` get A and B staged the same way and
   become per-warp ``vector.contract``s unrolled to the shape of one
   ``mma.sync`` (``gpu_matmul.distribute_mma_step``; ``convert-vector-to-gpu``
   finishes them after ``kiln-gpu-map`` and ``kiln-gpu-hoist-accumulators``);
4. vector contractions become FMAs;
5. per-warp reductions marked ``kiln.gpu.warp_reduce`` become a lane-strided
   loop and ``gpu.shuffle`` butterflies (``gpu_warp_reduce``).

Pre: bufferized output of ``kiln-gpu-tile`` (markers kept by bufferization).
Post: no ``kiln.gpu.promote``/``thread_tile``/``mma``/``warp_tile``/``warp_reduce`` marker
remains (the warp foralls of mma steps stay for ``kiln-gpu-map``); every
shared buffer is a workgroup ``memref.global``; linalg ops left (per-thread
reductions) are for ``convert-linalg-to-loops``.
"""

from __future__ import annotations

from kiln.lowering.cuda.gpu_warp_reduce import lower_warp_reduction
from kiln.lowering.cuda.schedules.common import (
    BLOCK_DIMS_ATTR,
    COPY_LANES_ATTR,
    KERNEL_ATTR,
    MMA_ATTR,
    PROMOTE_ATTR,
    THREAD_TILE_ATTR,
    WARP_REDUCE_ATTR,
    WARP_TILE_ATTR,
    GpuSchedule,
    fit_thread_tile,
    kernel_around,
    linear_mapping,
)
from kiln.lowering.cuda.schedules.matmul import distribute_mma_step, promote_and_distribute
from kiln.passes.common import collect_ops
from kiln.passes.registry import KilnPass, PassFailure, register
from kiln.passes.transform_script import (
    canonicalization,
    cast_away_leading_unit_dims,
    lower_contraction_outerproduct,
    lower_outerproduct,
    reduction_to_contract,
    transfer_permutation,
)

from kiln.ir import ir, linalg, memref

TAG_PREFIX = "kiln.gpu.d"
WORKGROUP = "#gpu.address_space<workgroup>"
SHARED_PREFIX = "__kiln_shared_"


def _marker_tile(op: ir.Operation, marker: str, attr: str) -> list[int]:
    """The tile sizes ``attr`` that a ``marker``-ed step carries (kiln-gpu-tile sets both);
    an error at the op when hand-written or edited IR has the marker alone."""
    if attr not in op.attributes:
        raise PassFailure([(op.location, f"'{op.name}' is marked {marker} but has no {attr}")])
    return list(ir.DenseI64ArrayAttr(op.attributes[attr]))


@register
class GpuDistribute(KilnPass):
    """Stage matmul tiles in shared memory, spread copies over threads, warp-level contractions."""

    name = "kiln-gpu-distribute"

    def run(self, module: ir.Operation) -> None:
        promoted = _tag_all(module, PROMOTE_ATTR)
        if promoted:
            sched = GpuSchedule(module.context)
            for tag, op in promoted:
                tile = _marker_tile(op, PROMOTE_ATTR, THREAD_TILE_ATTR)
                promote_and_distribute(sched, sched.match(attr=tag), tile, _views(op))
            sched.apply_patterns(sched.match(["func.func"]), [canonicalization])
            sched.apply(module)
        sched = self._distribute_copies(module)
        funcs = sched.match(["func.func"])
        # As in kiln-vectorize: contractions first, then outer products, then FMAs.
        sched.apply_patterns(funcs, [reduction_to_contract, transfer_permutation])
        sched.apply_patterns(funcs, [cast_away_leading_unit_dims, canonicalization])
        sched.apply_patterns(funcs, [lower_contraction_outerproduct])
        sched.apply_patterns(funcs, [lower_outerproduct, canonicalization])
        sched.apply(module)
        # After the FMA lowering above, which would take the mma contractions apart too.
        mma_steps = _tag_all(module, MMA_ATTR)
        if mma_steps:
            sched = GpuSchedule(module.context)
            mma_steps = [(tag, _drop_batch(op)) for tag, op in mma_steps]
            for tag, op in mma_steps:
                tile = _marker_tile(op, MMA_ATTR, WARP_TILE_ATTR)
                kernel = kernel_around(op)
                kernel.attributes[f"{tag}.kernel"] = ir.UnitAttr.get()
                step, kernel = sched.match(attr=tag), sched.match(attr=f"{tag}.kernel")
                distribute_mma_step(sched, step, kernel, tile, _views(op))
            sched.apply_patterns(sched.match(["func.func"]), [canonicalization])
            sched.apply(module)
            sched = self._distribute_copies(module)
            sched.apply_patterns(
                sched.match(["func.func"]), [cast_away_leading_unit_dims, canonicalization]
            )
            sched.apply(module)
        # Collected first: lowering erases each op (and the body ops a walk would visit).
        for op in [op for op in collect_ops(module) if WARP_REDUCE_ATTR in op.attributes]:
            lower_warp_reduction(op)
        _drop_markers(
            module, (TAG_PREFIX, PROMOTE_ATTR, THREAD_TILE_ATTR, MMA_ATTR, WARP_TILE_ATTR)
        )

    @staticmethod
    def _distribute_copies(module: ir.Operation) -> GpuSchedule:
        """A schedule spreading the copies into new shared buffers over the threads."""
        sched = GpuSchedule(module.context)
        for tag, tile in _shared_memory_to_globals(module):
            copy, _ = sched.tile_forall_mapped(
                sched.match(attr=tag), tile, linear_mapping("thread", len(tile))
            )
            sched.vectorize(copy)
        return sched


def _drop_batch(op: ir.Operation) -> ir.Operation:
    """A block's batch_matmul step (batch 1) as a linalg.matmul on rank-reduced views.

    The tensor-core machinery (warp tiles, the contraction unrolled to mma
    shapes, ldmatrix) works on 2-D operands; the step keeps its attributes.
    """
    if op.name != "linalg.batch_matmul":
        return op
    for value in op.operands[:3]:
        if ir.MemRefType(value.type).shape[0] != 1:
            message = f"a tensor-core batch_matmul step holds one batch per block, got {value.type}"
            raise PassFailure([(op.location, f"{GpuDistribute.name}: {message}")])
    with ir.InsertionPoint(op), op.location:
        a, b, c = (_rank_reduced(v) for v in op.operands[:3])
        new = linalg.matmul(a, b, outs=[c])
    new = new.operation if hasattr(new, "operation") else new.owner
    for name in [n for n in op.attributes if n.startswith("kiln.")]:
        new.attributes[name] = op.attributes[name]
    op.erase()
    return new


def _rank_reduced(value: ir.Value) -> ir.Value:
    """``value`` (a memref with a leading unit dim) without that dim, as a subview."""
    ty = ir.MemRefType(value.type)
    strides, offset = ty.get_strides_and_offset()
    layout = ir.StridedLayoutAttr.get(offset, strides[1:])
    reduced = ir.MemRefType.get(ty.shape[1:], ty.element_type, layout, ty.memory_space)
    rank = len(ty.shape)
    return memref.SubViewOp(
        reduced,
        value,
        [],
        [],
        [],
        [0] * rank,
        list(ty.shape),
        [1] * rank,
    ).result


def _views(op: ir.Operation) -> list[int]:
    """Operands A, B that are views: promotion stages those; a whole operand is read in place."""
    return [i for i in (0, 1) if _defined_by(op.operands[i], "memref.subview")]


def _tag_all(module: ir.Operation, marker: str) -> list[tuple[str, ir.Operation]]:
    """Gives each op carrying ``marker`` its own tag attribute; returns (tag, op) pairs."""
    found = []
    for op in collect_ops(module):
        if marker in op.attributes:
            tag = f"{TAG_PREFIX}{marker.rsplit('.', 1)[-1]}{len(found)}"
            op.attributes[tag] = ir.UnitAttr.get()
            found.append((tag, op))
    return found


def _shared_memory_to_globals(module: ir.Operation) -> list[tuple[str, tuple[int, ...]]]:
    """Workgroup allocs -> globals fetched in their kernel; copies into them -> tagged copies."""
    copies = []
    body = ir.Module(module).body if isinstance(module, ir.Module) else module.regions[0].blocks[0]
    first = sum(
        ir.StringAttr(op.attributes["sym_name"]).value.startswith(SHARED_PREFIX)
        for op in collect_ops(module, ["memref.global"])
    )
    for index, alloc in enumerate(
        (op for op in collect_ops(module, ["memref.alloc"]) if _is_shared(op)), first
    ):
        ty = ir.MemRefType(alloc.results[0].type)
        kernel = _kernel_of(alloc)
        name = f"{SHARED_PREFIX}{index}"
        with ir.InsertionPoint.at_block_begin(body), alloc.location:
            memref.GlobalOp(name, ty, sym_visibility="private", alignment=64)
        with ir.InsertionPoint.at_block_begin(kernel.regions[0].blocks[0]), alloc.location:
            fetched = memref.GetGlobalOp(ty, name).result
        alloc.results[0].replace_all_uses_with(fetched)
        alloc.erase()
        threads = _block_threads(kernel)
        for copy in _copies_into(fetched):
            tag = f"{TAG_PREFIX}copy{len(copies)}"
            with ir.InsertionPoint(copy), copy.location:
                new = linalg.copy(copy.operands[0], outs=[copy.operands[1]]).owner
            new.attributes[tag] = ir.UnitAttr.get()
            shape = ir.MemRefType(copy.operands[1].type).shape
            lanes = (
                ir.IntegerAttr(kernel.attributes[COPY_LANES_ATTR]).value
                if COPY_LANES_ATTR in kernel.attributes
                else 4
            )
            copies.append((tag, fit_thread_tile(shape, threads, lanes)))
            copy.erase()
    return copies


def _copies_into(buffer: ir.Value) -> list[ir.Operation]:
    """``memref.copy`` ops writing ``buffer`` or a subview of it."""
    found = []
    for use in buffer.uses:
        user = use.owner.operation if isinstance(use.owner, ir.OpView) else use.owner
        if user.name == "memref.subview":
            found += _copies_into(user.results[0])
        elif user.name == "memref.copy" and use.operand_number == 1:
            found.append(user)
    return found


def _defined_by(value: ir.Value, name: str) -> bool:
    owner = value.owner
    return isinstance(owner, ir.OpView | ir.Operation) and owner.operation.name == name


def _is_shared(op: ir.Operation) -> bool:
    space = ir.MemRefType(op.results[0].type).memory_space
    return space is not None and str(space) == WORKGROUP


def _kernel_of(op: ir.Operation) -> ir.Operation:
    """The kernel forall using ``op``'s buffer (promotion allocates at the function entry)."""
    for use in op.results[0].uses:
        parent = use.owner.operation if isinstance(use.owner, ir.OpView) else use.owner
        while parent is not None and KERNEL_ATTR not in parent.attributes:
            parent = parent.parent
        if parent is not None:
            return parent
    message = f"shared buffer is not used inside a kernel ({KERNEL_ATTR} forall)"
    raise PassFailure([(op.location, f"{GpuDistribute.name}: {message}")])


def _block_threads(kernel: ir.Operation) -> int:
    x, y, z = ir.DenseI64ArrayAttr(kernel.attributes[BLOCK_DIMS_ATTR])
    return x * y * z


def _drop_markers(module: ir.Operation, prefixes: tuple[str, ...]) -> None:
    for op in collect_ops(module):
        for name in [n for n in op.attributes if n.startswith(prefixes)]:
            del op.attributes[name]
