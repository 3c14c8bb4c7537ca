"""GPU schedule for an elementwise op (any linalg op whose loops are all parallel).

One kernel per op (elementwise chains are already one ``linalg.generic`` after
``kiln-fuse-elementwise``):
1. the op is tiled to blocks with an ``scf.forall`` mapped to ``#gpu.block``;
   a block covers ``ty`` rows of the second-to-last loop and ``tx * v``
   elements of the last loop (1 along the third-to-last; loops further out,
   beyond the grid's 3 dims, are serial loops in each thread);
2. the block tile is tiled to threads (``#gpu.thread<y>``, ``<x>``): each
   thread owns ``v`` consecutive elements of the last loop, so a warp reads
   contiguous memory (coalesced) and each thread moves ``v`` floats at once;
3. the thread tile is vectorized (``vector<1x..xv>``): with ``v = 4``, 128-bit
   ``ld.global.v4``/``st.global.v4`` once lowered.
Tiles always divide the loops (no masks, no bounds checks): extents with no
good divisor just get narrower blocks.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiln.lowering.cuda.schedules.common import (
    THREADS_PER_BLOCK,
    GpuSchedule,
    block_mapping,
    divisor_tile,
    thread_mapping,
)


@dataclass(frozen=True)
class ElementwisePlan:
    """Static facts about one all-parallel op, read from the IR before scheduling."""

    tag: str
    loop_sizes: tuple[int, ...]
    contiguous_last: bool  # every operand walks the last loop contiguously (or broadcasts it)
    vectorizable: bool = True  # a body of arith/math ops only


@dataclass(frozen=True)
class ElementwiseTiles:
    """The tiling chosen for a plan: per block, per thread, and threads per block (x, y, z)."""

    block: tuple[int, ...]
    thread: tuple[int, ...]
    block_dims: tuple[int, int, int]
    vector_width: int


def choose_tiles(
    plan: ElementwisePlan, threads: int = THREADS_PER_BLOCK, max_vector: int = 4
) -> ElementwiseTiles:
    """Block and thread tiles for ``plan`` (see module docstring)."""
    sizes = plan.loop_sizes
    rank = len(sizes)
    last = sizes[-1]
    wide = plan.contiguous_last and plan.vectorizable and last % max_vector == 0
    v = max_vector if wide else 1
    tx = divisor_tile(last // v, threads)
    ty = divisor_tile(sizes[-2], threads // tx) if rank >= 2 else 1
    # A grid has 3 dims: loops outside the innermost 3 stay whole in every
    # block and become serial loops in each thread.
    outer = max(rank - 3, 0)
    block = (0,) * outer + (1,) * (rank - 2 - outer) + ((ty,) if rank >= 2 else ()) + (tx * v,)
    thread = (0,) * (rank - 2) + ((1,) if rank >= 2 else ()) + (v,)
    return ElementwiseTiles(block, thread, (tx, ty, 1), v)


def schedule_elementwise(
    sched: GpuSchedule, plan: ElementwisePlan, threads: int = THREADS_PER_BLOCK
) -> ElementwiseTiles:
    """Appends the op's schedule to ``sched`` (see module docstring); returns the tiles chosen."""
    if not plan.loop_sizes:
        raise ValueError(f"{plan.tag}: 0-d ops have no loop to map to GPU threads")
    tiles = choose_tiles(plan, threads)
    rank = len(plan.loop_sizes)
    op = sched.match(attr=plan.tag)
    block_op, forall = sched.tile_forall_mapped(op, tiles.block, block_mapping(min(rank, 3)))
    thread_rank = min(rank, 2)
    thread_op, _ = sched.tile_forall_mapped(block_op, tiles.thread, thread_mapping(thread_rank))
    if rank > 3:
        thread_op, _ = sched.tile_for(thread_op, [1] * (rank - 3) + [0, 0, 0])
    if plan.vectorizable:
        sched.vectorize(thread_op)
    sched.mark_kernel(forall, tiles.block_dims)
    return tiles
