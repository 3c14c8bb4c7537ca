"""GPU schedule for a reduction (a linalg op with reduction loops: sums, max, softmax's parts).

Correct first, simple: one thread per output element.
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

from kiln.passes.schedules.gpu_common import (
    THREADS_PER_BLOCK,
    GpuSchedule,
    block_mapping,
    divisor_tile,
    thread_mapping,
)


@dataclass(frozen=True)
class ReductionPlan:
    """Static facts about one reduction, read from the IR before scheduling."""

    tag: str
    fill_tag: str | None  # the linalg.fill producing the accumulator
    loop_sizes: tuple[int, ...]
    kinds: tuple[str, ...]  # "parallel" / "reduction" per loop
    output_rank: int  # rank of the result (the fill's loops)


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
    return ReductionTiles(tuple(block), tuple(thread), (tx, ty, 1))


def schedule_reduction(sched: GpuSchedule, plan: ReductionPlan, threads: int = THREADS_PER_BLOCK) -> ReductionTiles:
    """Appends the op's schedule to ``sched`` (see module docstring); returns the tiles."""
    tiles = choose_tiles(plan, threads)
    n_parallel = sum(1 for kind in plan.kinds if kind == "parallel")
    n_thread = sum(1 for t in tiles.thread if t)
    if n_parallel == 0 or n_thread == 0:
        raise ValueError(f"{plan.tag}: reductions to a single value are not scheduled for GPUs yet")
    op = sched.match(attr=plan.tag)
    block_op, forall = sched.tile_forall_mapped(op, tiles.block, block_mapping(n_parallel))
    thread_op, thread_forall = sched.tile_forall_mapped(block_op, tiles.thread, thread_mapping(n_thread))
    if plan.fill_tag is not None:
        fill, _ = sched.fuse_into(sched.match(attr=plan.fill_tag), forall)
        fill, _ = sched.fuse_into(fill, thread_forall)
    sched.mark_kernel(forall, tiles.block_dims)
    return tiles
