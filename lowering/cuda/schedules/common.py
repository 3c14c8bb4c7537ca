"""The GPU side of the schedule builder: block/thread/warp mappings, launches, shared memory, mma.

``GpuSchedule`` is a ``passes.schedule.Schedule`` with the transform ops the
GPU schedules need. Transform ops of the ``gpu`` and ``nvgpu`` extensions are
built in generic form with ``ir.Operation.create`` (kiln.ir exports no
Python classes for them), which also keeps these builders independent of the
generated Python classes' keyword names.

Also here: the markers that tell later stages what a schedule decided. They
are plain attributes on payload ops (kept by bufferization) and are all
removed by ``kiln-gpu-map``:
- ``kiln.gpu.kernel``: on a block-mapped ``scf.forall``: one future kernel;
- ``kiln.gpu.block_dims``: its threads per block (x, y, z);
- ``kiln.gpu.promote``: on a matmul tile: operands to stage in shared memory;
- ``kiln.gpu.thread_tile``: on a linalg op: tile sizes of one thread's work;
- ``kiln.gpu.mma``: on a matmul step for tensor cores (``mma.sync``);
- ``kiln.gpu.warp_tile``: on it: (wm, wn, kk), one warp's tile and the mma k;
- ``kiln.gpu.wgmma``: on a 128 x 128 block's matmul: a TMA + wgmma kernel (sm_90a);
- ``kiln.gpu.copy_lanes``: on a kernel: elements per vector of its copies into shared memory;
- ``kiln.gpu.warp_reduce``: on a one-row reduction: one warp with shuffles.
"""

from __future__ import annotations

from collections.abc import Sequence

from kiln.passes.transform_script import Schedule

from kiln.ir import ir, transform, transform_structured, transform_vector

KERNEL_ATTR = "kiln.gpu.kernel"
BLOCK_DIMS_ATTR = "kiln.gpu.block_dims"
PROMOTE_ATTR = "kiln.gpu.promote"
THREAD_TILE_ATTR = "kiln.gpu.thread_tile"
MMA_ATTR = "kiln.gpu.mma"
WARP_TILE_ATTR = "kiln.gpu.warp_tile"
WGMMA_ATTR = "kiln.gpu.wgmma"
COPY_LANES_ATTR = "kiln.gpu.copy_lanes"
WARP_REDUCE_ATTR = "kiln.gpu.warp_reduce"
MARKERS = (
    KERNEL_ATTR,
    BLOCK_DIMS_ATTR,
    PROMOTE_ATTR,
    THREAD_TILE_ATTR,
    MMA_ATTR,
    WARP_TILE_ATTR,
    WARP_REDUCE_ATTR,
    WGMMA_ATTR,
    COPY_LANES_ATTR,
)

THREADS_PER_BLOCK = 256
WARP_SIZE = 32


def kernel_around(op: ir.Operation) -> ir.Operation:
    """The kernel forall (marked ``kiln.gpu.kernel``) ``op`` is nested in."""
    parent = op.parent
    while KERNEL_ATTR not in parent.attributes:
        parent = parent.parent
    return parent


def block_mapping(rank: int) -> list[str]:
    """Mapping of a ``rank``-D block forall: x is the innermost loop (linear dims past 3)."""
    return _mapping("block", rank)


def thread_mapping(rank: int) -> list[str]:
    """Mapping of a ``rank``-D thread forall: x is the innermost loop (linear dims past 3)."""
    return _mapping("thread", rank)


def warp_mapping(rank: int) -> list[str]:
    """Mapping of a ``rank``-D warp forall."""
    return _mapping("warp", rank)


def linear_mapping(kind: str, rank: int) -> list[str]:
    """``#gpu.<kind><linear_dim_i>`` for each loop, the innermost loop being dim 0."""
    return [f"#gpu.{kind}<linear_dim_{rank - 1 - i}>" for i in range(rank)]


def _mapping(kind: str, rank: int) -> list[str]:
    if rank > 3:
        return linear_mapping(kind, rank)
    return [f"#gpu.{kind}<{d}>" for d in "zyx"[3 - rank :]]


def divisor_tile(extent: int, preferred: int) -> int:
    """The largest divisor of ``extent`` that is at most ``preferred`` (static tiles, no masks)."""
    for tile in range(min(extent, max(preferred, 1)), 0, -1):
        if extent % tile == 0:
            return tile
    return 1


def fit_thread_tile(shape: Sequence[int], threads: int, max_vector: int = 4) -> tuple[int, ...]:
    """Per-thread tile of a ``shape`` op for ``threads`` threads (linear mapping).

    Each thread gets ``max_vector`` consecutive elements of the last dim when it
    divides, and more rows (outermost dims first) until the tile count fits in
    ``threads``; every tile size divides its dim.
    """
    last = max_vector if shape[-1] % max_vector == 0 else 1
    tile = [1] * (len(shape) - 1) + [last]
    while _count(shape, tile) > threads:
        dim = next((d for d, (s, t) in enumerate(zip(shape, tile, strict=True)) if t < s), None)
        if dim is None:
            break
        tile[dim] = next(t for t in range(tile[dim] + 1, shape[dim] + 1) if shape[dim] % t == 0)
    return tuple(tile)


def _count(shape: Sequence[int], tile: Sequence[int]) -> int:
    count = 1
    for s, t in zip(shape, tile, strict=True):
        count *= s // t
    return count


class GpuSchedule(Schedule):
    """A transform script with GPU mapping ops (see module docstring)."""

    def _generic(self, name: str, operands: Sequence, n_results: int = 1, attributes=None):
        def build():
            op = ir.Operation.create(
                name,
                results=[self._any()] * n_results,
                operands=list(operands),
                attributes=attributes or {},
            )
            return op.results[0] if n_results == 1 else list(op.results)

        return self._build(build)

    def tile_forall_mapped(self, op, tile_sizes: Sequence[int], mapping: Sequence[str]):
        """``tile_using_forall`` with a GPU ``mapping``: returns (tiled op, forall)."""

        def build():
            attr = ir.ArrayAttr.get([ir.Attribute.parse(m) for m in mapping])
            res = transform_structured.TileUsingForallOp(
                self._any(), self._any(), op, tile_sizes=list(tile_sizes), mapping=attr
            )
            return res.results[0], res.results[1]

        return self._build(build)

    def map_forall_to_blocks(self, forall):
        """Wraps the block-mapped ``scf.forall`` in a ``gpu.launch``; returns the launch."""
        return self._generic(
            "transform.gpu.map_forall_to_blocks",
            [forall],
            attributes={"generate_gpu_launch": ir.UnitAttr.get()},
        )

    def map_nested_forall_to_threads(
        self, launch, block_dims: Sequence[int], sync_after: bool = True
    ):
        """Thread- and warp-mapped foralls inside ``launch`` become thread-id arithmetic."""
        i64 = ir.IntegerType.get_signless(64)
        return self._generic(
            "transform.gpu.map_nested_forall_to_threads",
            [launch],
            attributes={
                "block_dims": ir.DenseI64ArrayAttr.get(list(block_dims)),
                "sync_after_distribute": ir.BoolAttr.get(sync_after),
                "warp_size": ir.IntegerAttr.get(i64, WARP_SIZE),
            },
        )

    def promote_to_workgroup(self, op, operands: Sequence[int]):
        """Stages ``operands`` of a linalg op on buffers in shared memory (copies, barriers)."""

        def build():
            mapping = ir.ArrayAttr.get([ir.Attribute.parse("#gpu.memory_space<workgroup>")])
            return transform_structured.PromoteOp(
                self._any(), op, operands_to_promote=list(operands), mapping=mapping
            ).result

        return self._build(build)

    def img2col(self, conv) -> None:
        """``structured.convert_conv2d_to_img2col``: a gather and a matrix product."""
        self._generic("transform.structured.convert_conv2d_to_img2col", [conv], n_results=2)

    def vectorize_contraction(self, op) -> None:
        """``structured.vectorize {create_named_contraction}``: one ``vector.contract``.

        Keeps mixed precision in the contraction (f16 operands, f32
        accumulator) instead of extending the operands first.
        """

        def build():
            vec = transform_structured.VectorizeOp(op)
            vec.operation.attributes["create_named_contraction"] = ir.UnitAttr.get()

        self._build(build)

    def mark_kernel(self, forall, block_dims: Sequence[int]) -> None:
        """Marks a block-mapped forall as one kernel launched with ``block_dims`` threads."""
        self.annotate(forall, KERNEL_ATTR)
        self.annotate_array(forall, BLOCK_DIMS_ATTR, block_dims)

    def annotate_array(self, op, name: str, values: Sequence[int]) -> None:
        """Sets attribute ``name`` to ``array<i64: values...>`` on the payload ops of ``op``."""

        def build():
            attr = ir.DenseI64ArrayAttr.get(list(values))
            param = transform.ParamConstantOp(transform.AnyParamType.get(), attr).result
            transform.AnnotateOp(op, name, param=param)

        self._build(build)

    def apply_cse(self, target) -> None:
        """``transform.apply_cse`` on ``target``'s payload."""
        self._build(lambda: transform.ApplyCommonSubexpressionEliminationOp(target))

    def vectorize_children(self, target) -> None:
        """``vectorize_children_and_apply_patterns``: every static linalg op under ``target``."""
        self._build(
            lambda: transform_structured.VectorizeChildrenAndApplyPatternsOp(self._any(), target)
        )


# Pattern-op constructors for ``Schedule.apply_patterns`` used by GPU schedules.
def lower_transfers_rank1():
    """n-D transfers become 1-D transfers and then plain vector loads and stores."""
    transform_vector.ApplyLowerTransferPatternsOp(max_transfer_rank=1)


def unroll_to_mma(m: int, n: int, k: int):
    """Vector contractions and their transfers unrolled to ``m x n x k`` (one mma.sync each)."""
    i64 = ir.IntegerType.get_signless(64)
    ir.Operation.create(
        "transform.apply_patterns.gpu.unroll_vectors_subgroup_mma",
        attributes={
            "m": ir.IntegerAttr.get(i64, m),
            "n": ir.IntegerAttr.get(i64, n),
            "k": ir.IntegerAttr.get(i64, k),
        },
    )
