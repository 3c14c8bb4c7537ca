"""Schedules for NHWC convolutions (with their init and epilogue) and poolings.

A convolution's loops are (n, oh, ow, f, kh, kw, c). Its register block is
mr output pixels along a row x nr output channels (the vector dimension).
1. The group's root (last epilogue op, or the convolution) is split across
   threads by an ``scf.forall`` over output rows (or channel blocks); the
   rest of the group is fused into it. With a small filter the forall runs
   over bands of images and rows of at most ``BAND_BYTES`` of output, dealt
   out to the threads, so a band's init, convolution and epilogue run while
   it is in cache.
2. Inside, the convolution is tiled kh -> kw -> input-channel chunk (``kc``)
   -> output-channel block -> row -> pixel block, then the chunk by ``ku``:
   the filter is read once, in memory order (at batch 1 large filters stream
   from DRAM, and the strided reads of a per-channel-block order defeat the
   prefetchers), and each filter chunk is reused by every pixel block (with
   fewer than 16 input channels, as in a first layer: f -> row -> pixel block
   -> kh -> kw, accumulating in registers). Each innermost op is a (1, 1, mr, nr, 1, 1, ku) convolution, which
   ``structured.decompose`` turns into a 1-D convolution: an mr x ku by
   ku x nr matrix product that ``kiln-vectorize`` turns into FMAs. The filter
   chunk stays in cache while the pixel blocks stream over it.
3. The init (bias) and the epilogue are tiled to one register block (and
   vectorized, unless the plan lists them as scalar: gathers).
Poolings are split across threads the same way and tiled to (1, 1, mr, nr)
windows, decomposed to 1-D and vectorized.
"""

from __future__ import annotations

from dataclasses import dataclass

from kiln.lowering.cpu.schedules.contraction import VECTORIZE_ATTR
from kiln.passes.transform_script import Schedule

from kiln.ir import transform_structured

# Below this many input channels the loop order keeps accumulators in registers.
SMALL_CHANNELS = 16
# When the filter is small enough to be read again from L2 for each band, the
# output is cut into bands of at most BAND_BYTES (images, then rows), dealt
# out to the threads: the init, the convolution and the epilogue of a band
# then run while it is in cache, instead of each sweeping the whole output.
BAND_BYTES = 128 << 10
BAND_FILTER_BYTES = 256 << 10
# Pixels per register block, in order of preference, when they divide the output row
# (``kiln-pad-conv-rows`` pads rows that none divides).
PIXEL_BLOCKS = (4, 7, 6, 8, 5, 3, 2)
# k_pack of kiln-int8-convs' convolutions (u8 x s8 channel quads, ``vpdpbusd``).
INT8_QUADS = 4


@dataclass(frozen=True)
class ConvBlocking:
    """Register block (mr pixels x nr channels) and reduction steps of a convolution."""

    mr: int
    nr: int
    ku: int
    kc: int


def conv_blocking(ow: int, f: int, c: int, vector_width: int, k_pack: int = 1) -> ConvBlocking:
    """Blocking for an NHWC convolution on a target with ``vector_width`` f32 lanes.

    ``k_pack=2`` (a bf16 input, ``kiln-bf16-convs``): the input channels go in pairs
    (one ``vdpbf16ps`` step each), so ``ku`` and ``kc`` are chosen in pairs and are even;
    ``k_pack=4`` (``kiln-int8-convs``) likewise in quads (one ``vpdpbusd`` step each).

    The block is two vectors wide when the channels allow and a row of at
    least two pixels fits the registers with it, else one vector wide (a
    7-pixel row of one vector beats a 1-pixel block of two: every filter
    vector loaded then feeds 7 FMAs, not 1). Channel counts that are no
    multiple of the vector width take the block ``odd_channel_blocks`` rates best.
    """
    if f % vector_width:
        nr, mr = max(
            (
                (nr, _pixel_block(ow, nr, vector_width))
                for nr in odd_channel_blocks(f, vector_width)
            ),
            key=lambda block: _lanes_per_instruction(*block, vector_width),
        )
    else:
        nr = 2 * vector_width if f % (2 * vector_width) == 0 else vector_width
        mr = _pixel_block(ow, nr, vector_width)
        if mr == 1 and nr == 2 * vector_width:
            nr, mr = vector_width, _pixel_block(ow, vector_width, vector_width)
    steps = c // k_pack
    ku = reduction_step(steps, nr, vector_width)
    kc = ku
    for chunk in range(ku, min(steps, 128) + 1, ku):
        if steps % chunk == 0:
            kc = chunk
    return ConvBlocking(mr, nr, ku * k_pack, kc * k_pack)


# Input channels per step for block rows that are no multiple of the vector width.
MAX_ODD_ROW_STEP = 32


def reduction_step(c: int, nr: int, vector_width: int) -> int:
    """Input channels per innermost op (``ku``).

    Each innermost op rebuilds its loop-carried accumulator. For a block row
    that is no multiple of the vector width (58 lanes), LLVM rebuilds it lane
    by lane, which cost more than the FMAs of a 2-channel step: such blocks
    take the largest divisor of ``c`` up to 32 channels per step (29 for 58).
    Up to 128 ran a ShuffleNetV2 unit's 1x1 convs another 1.3x faster but
    unrolled 232 FMAs of ``vector<4x58xf32>`` per op: LLVM took 5x longer
    (ShuffleNetV2's compile 13 s -> 67 s). Others take
    16 when ``c`` is a multiple of 16, all of ``c`` up to 16, else the
    smallest divisor of ``c`` from 16 to 64.
    """
    if nr % vector_width:
        return _largest_divisor(c, MAX_ODD_ROW_STEP)
    small = _largest_divisor(c, 16)
    if c % 16 == 0 or c <= 16:
        return small
    return next((d for d in range(16, min(c, 64) + 1) if c % d == 0), small)


def odd_channel_blocks(channels: int, vector_width: int) -> list[int]:
    """Candidate block widths for a channel count that is no multiple of the vector width.

    The divisors of ``channels`` up to four vectors, widest first. LLVM splits
    a row of ``nr`` lanes into whole vectors and power-of-two pieces of the
    rest (58 lanes of 16: 16 + 16 + 16 + 8 + 2, five instructions; 29 lanes:
    16 + 8 + 4 + 1, four), so a wide block wastes fewer instructions than the
    largest divisor below the vector width.
    """
    limit = min(channels, 4 * vector_width)
    return [d for d in range(limit, 0, -1) if channels % d == 0]


def vector_pieces(nr: int, vector_width: int) -> int:
    """Vector instructions per row of ``nr`` lanes (whole vectors, then powers of two)."""
    whole, rest = divmod(nr, vector_width)
    return whole + bin(rest).count("1")


def _lanes_per_instruction(nr: int, mr: int, vector_width: int) -> float:
    """Multiply-adds per instruction of an mr x nr block's k step.

    Each step loads the filter row (one instruction per piece), broadcasts
    mr inputs and runs mr FMAs per piece.
    """
    pieces = vector_pieces(nr, vector_width)
    return mr * nr / (pieces * (mr + 1) + mr)


def _pixel_block(ow: int, nr: int, vector_width: int) -> int:
    """Pixels per register block: mr x vectors accumulators, a filter row and a broadcast fit."""
    registers = 32 if vector_width >= 16 else 16
    vectors = -(-nr // vector_width)  # registers per block row
    for candidate in PIXEL_BLOCKS:
        if ow % candidate == 0 and candidate * vectors + vectors + 1 <= registers:
            return candidate
    return 1


def _largest_divisor(n: int, limit: int) -> int:
    return max(d for d in range(1, min(n, limit) + 1) if n % d == 0)


@dataclass(frozen=True)
class ConvPlan:
    """Static facts about one convolution group, read from the IR before scheduling."""

    loop_sizes: tuple[int, ...]  # n, oh, ow, f, kh, kw, c
    root_tag: str
    member_tags: tuple[str, ...]
    anchor_tag: str
    vector_width: int
    scalar_tags: tuple[str, ...] = ()  # members kiln-vectorize cannot handle (gathers)
    k_pack: int = 1  # 2: a bf16 input, channels reduced in pairs; 4: int8 quads


def thread_split(n: int, oh: int, f: int, nr: int, threads: int) -> tuple[int, int]:
    """(output dim, chunk): rows if they divide evenly, else channel blocks, else images.

    Channel blocks (``f // nr`` of them) are split along output dimension 3.
    """
    if oh % threads == 0:
        return 1, oh // threads
    if (f // nr) % threads == 0:
        return 3, f // threads
    if n % threads == 0:
        return 0, n // threads
    return 1, oh


def band_rows(loop_sizes: tuple[int, ...], threads: int) -> int | None:
    """Rows per band of one image's output (see BAND_BYTES), or None for no bands.

    Bands are only cut where there are more of them than threads, and a
    multiple of the thread count, so that every thread gets as many.
    """
    n, oh, ow, f, kh, kw, c = loop_sizes
    return output_band_rows(n, oh, ow * f * 4, kh * kw * c * f * 4, threads)


def output_band_rows(
    n: int, oh: int, row_bytes: int, filter_bytes: int, threads: int
) -> int | None:
    """``band_rows`` for any convolution: ``row_bytes`` of output per row, a filter of ``filter_bytes``."""
    if filter_bytes > BAND_FILTER_BYTES:
        return None
    for rows in range(oh, 0, -1):
        bands = n * (oh // rows)
        if oh % rows == 0 and rows * row_bytes <= BAND_BYTES and bands % threads == 0:
            return rows if bands > threads else None
    return None


def schedule_conv_group(sched: Schedule, plan: ConvPlan, threads: int) -> None:
    """Appends the group's schedule to ``sched`` (see module docstring)."""
    n, oh, ow, f, _, _, c = plan.loop_sizes
    blk = conv_blocking(ow, f, c, plan.vector_width, plan.k_pack)
    root = sched.match(attr=plan.root_tag)
    rank = 7 if plan.root_tag == plan.anchor_tag else 4
    split = [0] * rank
    rows = band_rows(plan.loop_sizes, threads)
    if rows is not None:
        split[0], split[1] = (1 if n > 1 else 0), rows
    else:
        dim, chunk = thread_split(n, oh, f, blk.nr, threads)
        split[dim] = chunk
    _, forall = sched.tile_forall(root, split)
    for tag in reversed(plan.member_tags):
        _, forall = sched.fuse_into(sched.match(attr=tag), forall)

    conv = sched.match(attr=plan.anchor_tag, within=forall)
    if c < SMALL_CHANNELS:
        # Few input channels (a network's first layer): each output block
        # accumulates over all of kh, kw, c in registers; the filter is small.
        inner, _ = sched.tile_for(
            conv, [1, 1, blk.mr, blk.nr, 1, 1, c], interchange=[0, 3, 1, 2, 4, 5, 6]
        )
    else:
        # kh -> kw -> c-chunk outermost: the HWCF filter is then read in memory
        # order (large filters stream from DRAM at batch 1, and strided reads
        # of a channel block defeat the prefetchers).
        chunked, _ = sched.tile_for(
            conv, [1, 1, blk.mr, blk.nr, 1, 1, blk.kc], interchange=[0, 4, 5, 6, 3, 1, 2]
        )
        inner, _ = sched.tile_for(chunked, [0, 0, 0, 0, 0, 0, blk.ku])
    if plan.k_pack != INT8_QUADS:
        one_d = sched._build(lambda: transform_structured.DecomposeOp(inner).result)
        sched.annotate(one_d, VECTORIZE_ATTR)
    # else an int8 tile (a generic: nothing to decompose) is left for kiln-int8-conv-blocks.
    others = [t for t in (*plan.member_tags, plan.root_tag) if t != plan.anchor_tag]
    for tag in dict.fromkeys(others):
        tiled, _ = sched.tile_for(sched.match(attr=tag, within=forall), [1, 1, blk.mr, blk.nr])
        if tag not in plan.scalar_tags:
            sched.annotate(tiled, VECTORIZE_ATTR)


@dataclass(frozen=True)
class PoolPlan:
    """A standalone NHWC pooling: loops (n, oh, ow, c, kh, kw)."""

    tag: str
    loop_sizes: tuple[int, ...]
    vector_width: int


def schedule_pooling(sched: Schedule, plan: PoolPlan, threads: int) -> None:
    """Thread split over rows, (1, 1, mr, nr) window tiles decomposed to 1-D and vectorized."""
    n, oh, ow, c, _, _ = plan.loop_sizes
    blk = conv_blocking(ow, c, 1, plan.vector_width)
    dim, chunk = thread_split(n, oh, c, blk.nr, threads)
    split = [0] * 6
    split[dim] = chunk
    _, forall = sched.tile_forall(sched.match(attr=plan.tag), split)
    pool = sched.match(attr=plan.tag, within=forall)
    tiled, _ = sched.tile_for(pool, [1, 1, blk.mr, blk.nr, 1, 0])
    one_d = sched._build(lambda: transform_structured.DecomposeOp(tiled).result)
    sched.annotate(one_d, VECTORIZE_ATTR)
