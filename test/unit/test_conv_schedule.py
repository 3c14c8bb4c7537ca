"""lowering/cpu/schedules: register blocking of NHWC convolutions (conv_blocking) and of
depthwise ones (depthwise_blocking)."""

from __future__ import annotations

import math

import pytest
from kiln.lowering.cpu.schedules.conv import (
    BAND_BYTES,
    ConvBlocking,
    band_rows,
    conv_blocking,
    odd_channel_blocks,
    vector_pieces,
)
from kiln.lowering.cpu.schedules.depthwise_conv import depthwise_blocking

# Vector registers of the targets: AVX2 (8 f32 lanes) has 16, AVX-512 (16 lanes) 32.
REGISTERS = {8: 16, 16: 32}

# (output width, output channels f, input channels c) of ResNet-18/50 convolutions.
RESNET = [
    (112, 64, 3),  # conv1, 7x7 stride 2 over RGB
    (56, 64, 64),  # layer1 3x3
    (56, 256, 64),  # layer1 1x1 expand (ResNet-50)
    (56, 64, 256),  # layer1 1x1 reduce (ResNet-50)
    (28, 128, 64),  # layer2 first 3x3, stride 2
    (28, 128, 128),
    (28, 512, 128),
    (28, 128, 512),
    (14, 256, 128),
    (14, 256, 256),
    (14, 256, 512),
    (7, 512, 256),
    (7, 512, 512),
]


def registers_used(blocking: ConvBlocking, vector_width: int) -> int:
    """mr x vectors accumulators, one vector of filter per vector column, one broadcast input."""
    vectors = math.ceil(blocking.nr / vector_width)
    return blocking.mr * vectors + vectors + 1


def check_blocking(ow: int, f: int, c: int, vector_width: int) -> None:
    blk = conv_blocking(ow, f, c, vector_width)
    assert ow % blk.mr == 0, f"mr={blk.mr} does not divide ow={ow}"
    assert f % blk.nr == 0, f"nr={blk.nr} does not divide f={f}"
    assert c % blk.ku == 0, f"ku={blk.ku} does not divide c={c}"
    assert blk.kc % blk.ku == 0, f"kc={blk.kc} is not a multiple of ku={blk.ku}"
    assert c % blk.kc == 0, f"kc={blk.kc} does not divide c={c}"
    used = registers_used(blk, vector_width)
    assert used <= REGISTERS[vector_width], f"{blk} needs {used} vector registers"


@pytest.mark.parametrize("vector_width", [8, 16])
@pytest.mark.parametrize(("ow", "f", "c"), RESNET)
def test_resnet_blocking_invariants(ow, f, c, vector_width):
    check_blocking(ow, f, c, vector_width)


@pytest.mark.parametrize("vector_width", [8, 16])
@pytest.mark.parametrize("ow", [112, 56, 28, 14, 7])
@pytest.mark.parametrize("f", [16, 32, 64, 128, 256, 512])
@pytest.mark.parametrize("c", [3, 16, 32, 64, 128, 256, 512])
def test_blocking_invariants_grid(ow, f, c, vector_width):
    check_blocking(ow, f, c, vector_width)


@pytest.mark.parametrize(
    ("ow", "f", "c", "vector_width", "expected"),
    [
        # 64 channels = 4 (8 lanes) or 2 (16 lanes) vectors; a 2-vector column, 4 pixels.
        (56, 64, 64, 8, ConvBlocking(mr=4, nr=16, ku=16, kc=64)),
        (56, 64, 64, 16, ConvBlocking(mr=4, nr=32, ku=16, kc=64)),
        # RGB input: the whole 3-channel reduction is one step.
        (112, 64, 3, 8, ConvBlocking(mr=4, nr=16, ku=3, kc=3)),
        # kc is the largest multiple of ku dividing c, at most 128.
        (14, 256, 512, 16, ConvBlocking(mr=7, nr=32, ku=16, kc=128)),
        # 7 pixels x 2 vectors + 2 + 1 = 17 > 16 registers at 8 lanes: no 7-pixel row
        # of two vectors, and a 1-pixel block would load a filter vector per FMA:
        # a 7-pixel row of one vector instead.
        (7, 512, 512, 8, ConvBlocking(mr=7, nr=8, ku=16, kc=128)),
        (7, 512, 512, 16, ConvBlocking(mr=7, nr=32, ku=16, kc=128)),
    ],
)
def test_blocking_values(ow, f, c, vector_width, expected):
    assert conv_blocking(ow, f, c, vector_width) == expected


def test_pooling_blocking():
    # Poolings reuse the blocking with c = 1 (no channel reduction).
    blk = conv_blocking(56, 64, 1, 8)
    assert (blk.ku, blk.kc) == (1, 1)
    check_blocking(56, 64, 1, 8)


@pytest.mark.parametrize(("ow", "f"), [(14, 12), (7, 20), (7, 36)])
def test_blocking_odd_channels_fits_registers(ow, f):
    check_blocking(ow, f, 64, 8)


@pytest.mark.parametrize(
    ("loop_sizes", "threads", "rows"),
    [
        # ResNet-18 layer 1 (3x3x64x64 filter, 147 KB): 8 bands of 7 rows at 2 threads.
        ((1, 56, 56, 64, 3, 3, 64), 2, 7),
        ((1, 56, 56, 64, 3, 3, 64), 1, 8),
        # The stem (7x7x3x64): 28 bands of 4 rows.
        ((1, 112, 112, 64, 7, 7, 3), 2, 4),
        # Filters too large to read again per band (layer 2 on): no bands.
        ((1, 28, 28, 128, 3, 3, 128), 2, None),
        # Output small enough for one band per thread: no bands.
        ((1, 8, 8, 32, 3, 3, 16), 2, None),
        # A batch: bands of images first (the CNN's second conv: 8 images of 64 KB).
        ((8, 16, 16, 64, 3, 3, 32), 2, 16),
    ],
)
def test_band_rows(loop_sizes, threads, rows):
    assert band_rows(loop_sizes, threads) == rows


def test_bands_are_even_and_within_the_budget():
    for oh in (7, 14, 28, 56, 112):
        for f in (16, 64, 256):
            for n in (1, 3, 8):
                for threads in (1, 2, 4):
                    sizes = (n, oh, oh, f, 3, 3, 8)
                    rows = band_rows(sizes, threads)
                    if rows is None:
                        continue
                    bands = n * oh // rows
                    assert oh % rows == 0 and bands % threads == 0 and bands > threads
                    assert rows * oh * f * 4 <= BAND_BYTES


@pytest.mark.parametrize(
    ("ow", "f", "vector_width", "nr"),
    [
        # ShuffleNetV2's 58/116/232 channels: 58-lane rows (16 + 16 + 16 + 8 + 2, five
        # FMAs) beat 29-lane ones (16 + 8 + 4 + 1, four FMAs for half the lanes).
        (28, 58, 16, 58),
        (28, 116, 16, 58),
        (28, 232, 16, 58),
        # At 8 lanes 58 is 8 vectors: no row of 2+ pixels fits, 29 lanes instead.
        (28, 58, 8, 29),
        # 24 and 40 channels: one row of 16 + 8 (16 + 16 + 8) lanes.
        (28, 24, 16, 24),
        (28, 40, 16, 40),
    ],
)
def test_odd_channel_blocks(ow, f, vector_width, nr):
    blk = conv_blocking(ow, f, 64, vector_width)
    assert blk.nr == nr
    check_blocking(ow, f, 64, vector_width)


def test_vector_pieces():
    assert vector_pieces(58, 16) == 5
    assert vector_pieces(29, 16) == 4
    assert vector_pieces(32, 16) == 2
    assert odd_channel_blocks(58, 16) == [58, 29, 2, 1]


@pytest.mark.parametrize(
    ("ow", "c", "vector_width", "block"),
    [
        # MobileNetV2 / EfficientNet depthwise layers: 8 pixels x 2 vectors (16 accumulators).
        (112, 32, 16, (8, 32)),
        (56, 144, 16, (8, 16)),
        # 7 and 14 pixel rows: 7 pixels.
        (7, 96, 16, (7, 32)),
        (14, 672, 8, (7, 8)),
        # 58 channels (ShuffleNetV2): 2 pixels x 58 lanes, 10 accumulators in flight.
        (28, 58, 16, (2, 58)),
        # 40 channels in a 7-pixel row: 7 x 20 lanes keep the FMAs busier than 1 x 40.
        (7, 40, 16, (7, 20)),
    ],
)
def test_depthwise_blocking(ow, c, vector_width, block):
    mr, nr = depthwise_blocking(ow, c, vector_width)
    assert (mr, nr) == block
    assert ow % mr == 0 and c % nr == 0
    assert mr * vector_pieces(nr, vector_width) <= REGISTERS[vector_width] // 2


@pytest.mark.parametrize(
    ("f", "c", "ku"),
    [
        # 58-lane rows rebuild their accumulator lane by lane after each step: few, long
        # steps, up to 32 channels (longer ones unroll more than LLVM compiles quickly).
        (58, 58, 29),
        (116, 116, 29),
        (232, 232, 29),
        # Whole-vector rows: 16 channels a step when c is a multiple of 16, else a divisor
        # from 16 to 64 (58 = 2 x 29: 29, not 2).
        (64, 58, 29),
        (64, 64, 16),
        (64, 3, 3),
    ],
)
def test_reduction_step(f, c, ku):
    blk = conv_blocking(28, f, c, 16)
    assert blk.ku == ku
    assert c % blk.kc == 0 and blk.kc % blk.ku == 0


@pytest.mark.parametrize("ow, f, c", [*RESNET, (14, 48, 34), (7, 32, 4), (9, 64, 38)])
def test_bf16_blocks_reduce_whole_channel_pairs(ow, f, c):
    """With a bf16 input (k_pack=2) every reduction step and chunk is a whole number of
    channel pairs (c even: kiln-bf16-convs pads it) and divides c; the register block
    is the f32 one."""
    c += c % 2
    blk = conv_blocking(ow, f, c, 16, k_pack=2)
    assert blk.ku % 2 == 0 and blk.kc % blk.ku == 0 and c % blk.kc == 0
    f32 = conv_blocking(ow, f, c, 16)
    assert (blk.mr, blk.nr) == (f32.mr, f32.nr)


def test_bf16_blocks_pick_steps_in_pairs():
    """34 channels: f32 steps 17 channels at a time, bf16 17 pairs (34 channels)."""
    assert conv_blocking(14, 48, 34, 16).ku == 17
    assert conv_blocking(14, 48, 34, 16, k_pack=2) == ConvBlocking(mr=7, nr=16, ku=34, kc=34)
