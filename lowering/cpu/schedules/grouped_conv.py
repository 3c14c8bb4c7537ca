"""Schedule for a grouped convolution group (kiln's NHWGC x GHWCF form, ``grouped_conv.py``).

A grouped convolution's loops are (n, oh, ow, g, f, kh, kw, c): per group, a
plain convolution of C to F channels. The group is one more parallel loop.
1. The group's root is split across threads like a convolution's
   (``schedules/conv.py``): bands of rows dealt out to the threads when the
   output is large (a band's input then stays in cache while every group
   reads its channels of it), else rows, groups or images; the init, the
   convolution and the epilogue are fused into it.
2. Inside, each group is a plain convolution tiled as ``schedules/conv.py``
   tiles one, with the group as the outermost loop: with few input channels
   per group (ResNeXt's 4 to 16) g -> f block -> row -> pixel block -> kh ->
   kw, each mr x nr output block accumulating over kh, kw and all of the
   group's channels in registers; with more, g -> kh -> kw -> channel chunk
   -> f block -> row -> pixel block, then the chunk by ``ku``, so the
   group's filter is read in memory order. Every innermost op has one image,
   row, group and kernel row: ``kiln-decompose-grouped-convs`` makes it a
   ``linalg.conv_1d_nwc_wcf`` on the group's channels, an mr x ku by ku x nr
   matrix product that ``kiln-vectorize`` turns into FMAs.
3. The init (bias) and the epilogue are tiled to (1, 1, mr, 1, nr) blocks.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiln.lowering.cpu.schedules.contraction import VECTORIZE_ATTR
from kiln.lowering.cpu.schedules.conv import SMALL_CHANNELS, conv_blocking, output_band_rows
from kiln.passes.transform_script import Schedule


@dataclass(frozen=True)
class GroupedPlan:
    """Static facts about one grouped convolution group, read from the IR."""

    loop_sizes: tuple[int, ...]  # n, oh, ow, g, f, kh, kw, c
    root_tag: str
    member_tags: tuple[str, ...]
    anchor_tag: str
    vector_width: int
    scalar_tags: tuple[str, ...] = ()  # members kiln-vectorize cannot handle (gathers)


def grouped_thread_split(n: int, oh: int, g: int, threads: int) -> tuple[int, int]:
    """(output dim, chunk): rows if they divide evenly, else groups, else images."""
    if oh % threads == 0:
        return 1, oh // threads
    if g % threads == 0:
        return 3, g // threads
    if n % threads == 0:
        return 0, n // threads
    return 1, oh


def schedule_grouped_group(sched: Schedule, plan: GroupedPlan, threads: int) -> None:
    """Appends the group's schedule to ``sched`` (see module docstring)."""
    n, oh, ow, g, f, kh, kw, c = plan.loop_sizes
    blk = conv_blocking(ow, f, c, plan.vector_width)
    rank = 8 if plan.root_tag == plan.anchor_tag else 5
    split = [0] * rank
    rows = output_band_rows(n, oh, ow * g * f * 4, g * kh * kw * c * f * 4, threads)
    if rows is not None:
        split[0], split[1] = (1 if n > 1 else 0), rows
    else:
        dim, chunk = grouped_thread_split(n, oh, g, threads)
        split[dim] = chunk
    _, forall = sched.tile_forall(sched.match(attr=plan.root_tag), split)
    for tag in reversed(plan.member_tags):
        _, forall = sched.fuse_into(sched.match(attr=tag), forall)

    conv = sched.match(attr=plan.anchor_tag, within=forall)
    if c < SMALL_CHANNELS:
        # n -> g -> f -> oh -> ow -> kh -> kw: the block accumulates in registers.
        inner, _ = sched.tile_for(
            conv, [1, 1, blk.mr, 1, blk.nr, 1, 1, c], interchange=[0, 3, 4, 1, 2, 5, 6, 7]
        )
    else:
        # n -> g -> kh -> kw -> c chunk -> f -> oh -> ow: the filter in memory order.
        chunked, _ = sched.tile_for(
            conv,
            [1, 1, blk.mr, 1, blk.nr, 1, 1, blk.kc],
            interchange=[0, 3, 5, 6, 7, 4, 1, 2],
        )
        inner, _ = sched.tile_for(chunked, [0, 0, 0, 0, 0, 0, 0, blk.ku])
    sched.annotate(inner, VECTORIZE_ATTR)
    others = [t for t in (*plan.member_tags, plan.root_tag) if t != plan.anchor_tag]
    for tag in dict.fromkeys(others):
        tiled, _ = sched.tile_for(sched.match(attr=tag, within=forall), [1, 1, blk.mr, 1, blk.nr])
        if tag not in plan.scalar_tags:
            sched.annotate(tiled, VECTORIZE_ATTR)
