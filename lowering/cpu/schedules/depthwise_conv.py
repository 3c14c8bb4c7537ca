"""Schedule for an NHWC depthwise convolution group (``linalg.depthwise_conv_2d_nhwc_hwc``).

A depthwise convolution's loops are (n, oh, ow, c, kh, kw): each channel is
filtered on its own, so a pixel's channels are one vector and every tap is a
vector FMA with that tap's weights (no broadcast, no reduction across lanes).
1. The group's root is split across threads like a convolution's
   (``schedules/conv.py``): bands of rows dealt out to the threads when the
   output is large, else rows, channel blocks or images; the init, the
   convolution and the epilogue are fused into it.
2. Inside, the convolution is tiled row -> pixel block (``mr``) -> channel
   block (``nr`` lanes) -> kh, keeping kw whole: each innermost op is a
   (1, 1, mr, nr, 1, KW) convolution, which ``structured.decompose`` turns
   into a ``linalg.depthwise_conv_1d_nwc_wc`` that ``kiln-vectorize`` turns
   into mr x KW FMAs on ``nr``-lane vectors, each input vector read once and
   used by every tap that covers it. The mr x nr accumulator stays in
   registers across kh.
3. The init (bias) and the epilogue are tiled to (1, 1, mr, nr) blocks.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiln.lowering.cpu.schedules.contraction import VECTORIZE_ATTR
from kiln.lowering.cpu.schedules.conv import (
    odd_channel_blocks,
    output_band_rows,
    thread_split,
    vector_pieces,
)
from kiln.passes.transform_script import Schedule

from kiln.ir import transform_structured

PIXEL_BLOCKS = (8, 7, 6, 5, 4, 3, 2)


@dataclass(frozen=True)
class DepthwisePlan:
    """Static facts about one depthwise convolution group, read from the IR."""

    loop_sizes: tuple[int, ...]  # n, oh, ow, c, kh, kw
    root_tag: str
    member_tags: tuple[str, ...]
    anchor_tag: str
    vector_width: int
    scalar_tags: tuple[str, ...] = ()  # members kiln-vectorize cannot handle (gathers)


def depthwise_blocking(ow: int, c: int, vector_width: int) -> tuple[int, int]:
    """(mr, nr): the register block that keeps the FMA units busiest.

    Channel blocks are one or two vectors when the channels allow, else a
    divisor of the channels (``odd_channel_blocks``); pixel blocks divide the
    row, with at most half the vector registers as accumulators (the other
    half holds the taps' loads and the filter: 16 registers with AVX2, 32
    with AVX-512). Every tap is one FMA per accumulator vector, and an FMA
    chain needs about 8 accumulators in flight (latency 4 x 2 units), so a
    block does ``mr * nr`` lanes of work in ``max(accumulators, 8)`` FMA slots.
    """
    accumulators = (32 if vector_width >= 16 else 16) // 2
    widths = [v * vector_width for v in (2, 1) if c % (v * vector_width) == 0]
    if not widths:
        widths = odd_channel_blocks(c, vector_width)
    best, best_rate = (1, widths[0]), 0.0
    for nr in widths:
        pieces = vector_pieces(nr, vector_width)
        mr = next((m for m in PIXEL_BLOCKS if ow % m == 0 and m * pieces <= accumulators), 1)
        rate = mr * nr / max(mr * pieces, 8)
        if rate > best_rate:
            best, best_rate = (mr, nr), rate
    return best


def schedule_depthwise_group(sched: Schedule, plan: DepthwisePlan, threads: int) -> None:
    """Appends the group's schedule to ``sched`` (see module docstring)."""
    n, oh, ow, c, kh, kw = plan.loop_sizes
    mr, nr = depthwise_blocking(ow, c, plan.vector_width)
    rank = 6 if plan.root_tag == plan.anchor_tag else 4
    split = [0] * rank
    rows = output_band_rows(n, oh, ow * c * 4, kh * kw * c * 4, threads)
    if rows is not None:
        split[0], split[1] = (1 if n > 1 else 0), rows
    else:
        dim, chunk = thread_split(n, oh, c, nr, threads)
        split[dim] = chunk
    _, forall = sched.tile_forall(sched.match(attr=plan.root_tag), split)
    for tag in reversed(plan.member_tags):
        _, forall = sched.fuse_into(sched.match(attr=tag), forall)

    conv = sched.match(attr=plan.anchor_tag, within=forall)
    inner, _ = sched.tile_for(conv, [1, 1, mr, nr, 1, 0])
    one_d = sched._build(lambda: transform_structured.DecomposeOp(inner).result)
    sched.annotate(one_d, VECTORIZE_ATTR)
    others = [t for t in (*plan.member_tags, plan.root_tag) if t != plan.anchor_tag]
    for tag in dict.fromkeys(others):
        tiled, _ = sched.tile_for(sched.match(attr=tag, within=forall), [1, 1, mr, nr])
        if tag not in plan.scalar_tags:
            sched.annotate(tiled, VECTORIZE_ATTR)
