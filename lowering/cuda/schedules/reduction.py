"""GPU schedules for reductions (linalg ops with reduction loops: sums, max, softmax's parts).

Warp per row (``schedule_warp_reduction``), for one innermost f32 reduction
loop of at least 32 iterations with a plain combiner (add, max...):
1. up to 8 rows per block (``#gpu.block``), one row per warp (``#gpu.warp``);
   the fill of the accumulator fused into both;
2. the per-warp op is marked ``kiln.gpu.warp_reduce``; ``kiln-gpu-distribute``
   turns it into a lane-strided loop (coalesced loads) and a butterfly of
   ``gpu.shuffle xor`` (``lowering/cuda/gpu_warp_reduce.py``); lane 0 stores.

Thread per output (``schedule_reduction``), for every other reduction:
1. the parallel loops are tiled to blocks (``#gpu.block``) like an elementwise
   op's, with up to 256 outputs per block, consecutive threads on consecutive
   elements of the innermost parallel loop; reduction loops are not tiled;
2. the fill that initializes the accumulator is fused into the block and the
   thread tiles;
3. each thread runs the whole reduction for its output as a scalar loop
   (the op stays a linalg op and becomes loops in ``kiln-gpu-distribute``).
A reduction with no parallel loop (a full reduction to a scalar) runs on one
thread. Warp-cooperative reductions (``gpu.shuffle``) are not scheduled yet.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiln.lowering.cuda.schedules.common import (
    THREADS_PER_BLOCK,
    WARP_REDUCE_ATTR,
    WARP_SIZE,
    GpuSchedule,
    block_mapping,
    divisor_tile,
    thread_mapping,
    warp_mapping,
)

WARPS_PER_BLOCK = 8


@dataclass(frozen=True)
class ReductionPlan:
    """Static facts about one reduction, read from the IR before scheduling."""

    tag: str
    fill_tag: str | None  # the linalg.fill producing the accumulator
    loop_sizes: tuple[int, ...]
    kinds: tuple[str, ...]  # "parallel" / "reduction" per loop
    output_rank: int  # rank of the result (the fill's loops)
    warp_reducible: bool = False  # see lowering.cuda.gpu_warp_reduce.is_warp_reducible


@dataclass(frozen=True)
class ReductionTiles:
    """Tiles over the op's loops (0 = not tiled) and threads per block."""

    block: tuple[int, ...]
    thread: tuple[int, ...]
    block_dims: tuple[int, int, int]


def choose_tiles(plan: ReductionPlan, threads: int = THREADS_PER_BLOCK) -> ReductionTiles:
    """Block and thread tiles over the parallel loops (see module docstring)."""
    all_parallel = [d for d, kind in enumerate(plan.kinds) if kind == "parallel"]
    # Unit loops get no thread: x and y go to the innermost loops with work.
    parallel = [d for d in all_parallel if plan.loop_sizes[d] > 1]
    block = [1 if d in all_parallel else 0 for d in range(len(plan.loop_sizes))]
    thread = [0] * len(plan.loop_sizes)
    tx = ty = 1
    if parallel:
        inner = parallel[-1]
        tx = divisor_tile(plan.loop_sizes[inner], threads)
        block[inner], thread[inner] = tx, 1
        if len(parallel) >= 2:
            outer = parallel[-2]
            ty = divisor_tile(plan.loop_sizes[outer], threads // tx)
            block[outer], thread[outer] = ty, 1
    for d in all_parallel[:-3]:
        block[d] = 0  # a grid has 3 dims: further loops run whole in each thread
    return ReductionTiles(tuple(block), tuple(thread), (tx, ty, 1))


def schedule_reduction(
    sched: GpuSchedule, plan: ReductionPlan, threads: int = THREADS_PER_BLOCK
) -> ReductionTiles:
    """Appends the op's schedule to ``sched`` (see module docstring); returns the tiles."""
    tiles = choose_tiles(plan, threads)
    n_parallel = sum(1 for t in tiles.block if t)
    n_thread = sum(1 for t in tiles.thread if t)
    if n_parallel == 0 or n_thread == 0:
        raise ValueError(f"{plan.tag}: reductions to a single value are not scheduled for GPUs yet")
    op = sched.match(attr=plan.tag)
    block_op, forall = sched.tile_forall_mapped(op, tiles.block, block_mapping(n_parallel))
    thread_op, thread_forall = sched.tile_forall_mapped(
        block_op, tiles.thread, thread_mapping(n_thread)
    )
    if plan.fill_tag is not None:
        fill, _ = sched.fuse_into(sched.match(attr=plan.fill_tag), forall)
        fill, _ = sched.fuse_into(fill, thread_forall)
    sched.mark_kernel(forall, tiles.block_dims)
    return tiles


def schedule_warp_reduction(sched: GpuSchedule, plan: ReductionPlan) -> tuple[int, int, int]:
    """Appends the warp-per-row schedule (see module docstring); returns the block dims."""
    parallel = [d for d, kind in enumerate(plan.kinds) if kind == "parallel"]
    if not parallel or len(parallel) > 3:
        raise ValueError(f"{plan.tag}: reductions to a single value are not scheduled for GPUs yet")
    rows = next((d for d in reversed(parallel) if plan.loop_sizes[d] > 1), parallel[-1])
    warps = divisor_tile(plan.loop_sizes[rows], WARPS_PER_BLOCK)
    block = [1 if d in parallel else 0 for d in range(len(plan.kinds))]
    block[rows] = warps
    warp = [0] * len(plan.kinds)
    warp[rows] = 1
    op = sched.match(attr=plan.tag)
    block_op, forall = sched.tile_forall_mapped(op, block, block_mapping(len(parallel)))
    warp_op, warp_forall = sched.tile_forall_mapped(block_op, warp, warp_mapping(1))
    if plan.fill_tag is not None:
        fill, _ = sched.fuse_into(sched.match(attr=plan.fill_tag), forall)
        sched.fuse_into(fill, warp_forall)
    sched.annotate(warp_op, WARP_REDUCE_ATTR)
    block_dims = (WARP_SIZE * warps, 1, 1)
    sched.mark_kernel(forall, block_dims)
    return block_dims
