"""Schedule for a standalone linalg op (elementwise, reduction, transpose, fill...).

1. Split the outermost parallel loop with at least ``threads`` iterations
   across threads with an ``scf.forall`` (unless the op has fewer than
   ``MIN_PARALLEL_ITERATIONS`` iterations in all: then one thread runs it).
2. If the op can be vectorized (static shapes, projected-permutation maps,
   a body of arith/math ops), tile it so each innermost op is a vector of at
   most ``max_vector`` elements along the last loop and 1 along the others,
   and mark it ``kiln.vectorize``. A last loop that no vector width divides
   is tiled by ``PEEL_LANES`` and its partial last tile peeled into a loop of
   its own (``peel``: ops on tensors, before bufferization), so every tile
   has a static shape; otherwise (``kiln-vectorize-copies``' buffer copies)
   the last tile is masked (``kiln.vector_width``).
Ops that cannot be vectorized keep the thread split only and become scalar
loops at the ``loops`` stage.
"""

from __future__ import annotations

import math
from dataclasses import dataclass

from kiln.lowering.cpu.schedules.contraction import FOLD_UNIT_DIMS_ATTR, VECTORIZE_ATTR
from kiln.passes.transform_script import Schedule

# Lanes of the full tiles of a last loop that no vector width divides, when the
# schedule may peel (see ``schedule_generic``).
PEEL_LANES = 16
# Set on ops whose last tile is partial: the vector width to mask to.
VECTOR_WIDTH_ATTR = "kiln.vector_width"


@dataclass(frozen=True)
class GenericPlan:
    """Static facts about one op, read from the IR before scheduling."""

    tag: str
    loop_sizes: tuple[int, ...]
    kinds: tuple[str, ...]  # "parallel" / "reduction" per loop
    vectorizable: bool
    fold_unit_dims: bool = False  # drop unit dims before vectorizing (reductions)
    # The vector tile, when the op asks for one (``kiln.vector_tile``): a transposing
    # pack whose last loop is short (bf16 pairs) vectorizes over its last two loops.
    vector_tile: tuple[int, ...] | None = None
    # Tensors written per iteration: a multi-result generic (Winograd's transforms
    # write 16 or 36) does that many iterations' work in each, for the fork threshold.
    results: int = 1


def vector_length(extent: int, max_vector: int) -> int:
    """Lanes for a last loop of ``extent``: all of it when small, else the widest divisor."""
    if extent <= max_vector:
        return extent
    for width in (max_vector, 32, 16, 8):
        if width <= max_vector and extent % width == 0:
            return width
    return min(8, max_vector)  # partial last tile, masked


# Below this many iterations an op runs on one thread: an OpenMP fork and join
# (~1 us) costs more than the op (a 16-float add at 2 threads: 5.2 us per call
# against 4.2 us on one).
MIN_PARALLEL_ITERATIONS = 1 << 14


def thread_tile_sizes(
    plan: GenericPlan, threads: int, min_iterations: int = MIN_PARALLEL_ITERATIONS
) -> list[int] | None:
    """``scf.forall`` tile sizes, or None when no parallel loop is long enough
    or the op has fewer than ``min_iterations`` iterations (not worth a fork),
    an iteration of a k-result op counting k times."""
    if threads <= 1 or math.prod(plan.loop_sizes) * plan.results < min_iterations:
        return None
    for loop, (extent, kind) in enumerate(zip(plan.loop_sizes, plan.kinds, strict=True)):
        if kind == "parallel" and extent >= threads and extent % threads == 0:
            sizes = [0] * len(plan.loop_sizes)
            sizes[loop] = -(-extent // threads)
            return sizes
    return None


def schedule_generic(
    sched: Schedule,
    plan: GenericPlan,
    threads: int,
    max_vector: int = 64,
    min_iterations: int = MIN_PARALLEL_ITERATIONS,
    peel: bool = False,
) -> None:
    """Appends the op's schedule to ``sched`` (see module docstring); ``peel``: a partial
    last tile becomes a loop of its own rather than a masked tile."""
    op = sched.match(attr=plan.tag)
    split = thread_tile_sizes(plan, threads, min_iterations)
    if split is not None:
        op, forall = sched.tile_forall(op, split)
        if not plan.vectorizable:
            return
        op = sched.match(attr=plan.tag, within=forall)
    if not plan.vectorizable or not plan.loop_sizes:
        return
    last = plan.loop_sizes[-1]
    if split is not None and split[-1]:
        last = split[-1]  # the per-thread extent of the last loop
    width = vector_length(last, max_vector)
    sizes = [1] * (len(plan.loop_sizes) - 1) + [width]
    extents = [t or e for t, e in zip(split or [0] * len(sizes), plan.loop_sizes, strict=True)]
    if plan.vector_tile is not None and not any(
        e % t for e, t in zip(extents, plan.vector_tile, strict=True)
    ):
        # (A tile that does not divide a thread's share would be partial: no vector form.)
        sizes, width = list(plan.vector_tile), last
    if all(s == e for s, e in zip(sizes, plan.loop_sizes, strict=True)) and split is None:
        sched.annotate(op, VECTORIZE_ATTR)
        return
    if peel and last % width and last > max_vector:
        # Full tiles unmasked, the remainder as a loop of its own (static, unmasked):
        # a tile masked on every iteration ran 1.3-1.8x slower (softmax and layer
        # norm over 197 or 1500 floats, attention over 197 tokens; paired, 1 thread).
        sizes[-1] = min(PEEL_LANES, max_vector)
        tiled, loops = sched.tile_for(op, sizes)
        sched.annotate(tiled, VECTORIZE_ATTR)
        if plan.fold_unit_dims:
            sched.annotate(tiled, FOLD_UNIT_DIMS_ATTR)
        sched.peel(loops[-1])  # the remainder's op is a copy: it keeps the marks
        return
    tiled, _ = sched.tile_for(op, sizes)
    sched.annotate(tiled, VECTORIZE_ATTR)
    if last % width:
        sched.annotate(tiled, VECTOR_WIDTH_ATTR, value=width)
    elif plan.fold_unit_dims:
        sched.annotate(tiled, FOLD_UNIT_DIMS_ATTR)
