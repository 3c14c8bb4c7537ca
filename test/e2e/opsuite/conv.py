"""conv1d and conv2d: stride, padding, dilation, groups, depthwise, 1x1, with and without bias."""

from __future__ import annotations

import functools

import torch.nn as nn

from .registry import F32_SUM, registrar

XFAIL: dict[str, str] = {}

case = registrar("conv", XFAIL)


def image(*shape):
    return lambda t: (t.randn(*shape),)


# name -> (Conv1d arguments, input shape)
CONV1D = {
    "basic": (dict(in_channels=3, out_channels=4, kernel_size=3), (2, 3, 10)),
    "stride2": (dict(in_channels=3, out_channels=5, kernel_size=3, stride=2), (1, 3, 11)),
    "padding": (dict(in_channels=2, out_channels=4, kernel_size=5, padding=2), (2, 2, 9)),
    "padding_same": (dict(in_channels=2, out_channels=3, kernel_size=4, padding="same"), (1, 2, 9)),
    "dilation": (dict(in_channels=3, out_channels=4, kernel_size=3, dilation=2), (1, 3, 12)),
    "groups": (dict(in_channels=4, out_channels=6, kernel_size=3, groups=2), (2, 4, 8)),
    "depthwise": (
        dict(in_channels=5, out_channels=5, kernel_size=3, padding=1, groups=5),
        (2, 5, 7),
    ),
    "pointwise": (dict(in_channels=6, out_channels=3, kernel_size=1), (2, 6, 5)),
    "no_bias": (dict(in_channels=3, out_channels=4, kernel_size=3, bias=False), (2, 3, 8)),
    "all_options": (
        dict(
            in_channels=4, out_channels=6, kernel_size=3, stride=2, padding=2, dilation=2, groups=2
        ),
        (1, 4, 15),
    ),
}

CONV2D = {
    "basic": (dict(in_channels=3, out_channels=4, kernel_size=3), (2, 3, 8, 8)),
    "stride2": (dict(in_channels=3, out_channels=4, kernel_size=3, stride=2), (1, 3, 9, 9)),
    "stride_2_1": (dict(in_channels=2, out_channels=4, kernel_size=3, stride=(2, 1)), (1, 2, 8, 7)),
    "padding1": (dict(in_channels=3, out_channels=8, kernel_size=3, padding=1), (2, 3, 6, 6)),
    "padding_1_2": (
        dict(in_channels=3, out_channels=4, kernel_size=3, padding=(1, 2)),
        (1, 3, 5, 7),
    ),
    "padding_same": (
        dict(in_channels=3, out_channels=4, kernel_size=(3, 5), padding="same"),
        (1, 3, 6, 7),
    ),
    "dilation2": (dict(in_channels=3, out_channels=4, kernel_size=3, dilation=2), (1, 3, 9, 9)),
    "groups2": (dict(in_channels=4, out_channels=6, kernel_size=3, groups=2), (2, 4, 7, 7)),
    "groups4": (
        dict(in_channels=8, out_channels=8, kernel_size=3, padding=1, groups=4),
        (1, 8, 5, 5),
    ),
    "depthwise": (
        dict(in_channels=6, out_channels=6, kernel_size=3, padding=1, groups=6),
        (2, 6, 7, 7),
    ),
    "depthwise_multiplier": (
        dict(in_channels=3, out_channels=6, kernel_size=3, groups=3),
        (1, 3, 6, 6),
    ),
    "depthwise_stride2": (
        dict(in_channels=8, out_channels=8, kernel_size=3, stride=2, padding=1, groups=8),
        (1, 8, 9, 9),
    ),
    # MobileNet's first depthwise layer: rows of 112 split into partial vector tiles.
    "depthwise_112": (
        dict(in_channels=32, out_channels=32, kernel_size=3, padding=1, groups=32),
        (1, 32, 112, 112),
    ),
    "pointwise": (dict(in_channels=5, out_channels=7, kernel_size=1), (2, 5, 4, 6)),
    "pointwise_stride2": (
        dict(in_channels=4, out_channels=8, kernel_size=1, stride=2),
        (1, 4, 7, 7),
    ),
    # Few input channels (all in one register tile) and more output channels than one
    # tile: the tile is a rank-reducing slice of the filter (MobileNet's 1x1 expansions).
    "pointwise_16_to_64": (dict(in_channels=16, out_channels=64, kernel_size=1), (1, 16, 8, 8)),
    "pointwise_8_to_48": (dict(in_channels=8, out_channels=48, kernel_size=1), (1, 8, 5, 5)),
    "pointwise_3_to_64_stride2": (
        dict(in_channels=3, out_channels=64, kernel_size=1, stride=2),
        (1, 3, 9, 9),
    ),
    "no_bias": (dict(in_channels=3, out_channels=4, kernel_size=3, bias=False), (2, 3, 6, 6)),
    "rect_kernel": (dict(in_channels=2, out_channels=3, kernel_size=(1, 5)), (1, 2, 6, 9)),
    "big_kernel_7": (
        dict(in_channels=3, out_channels=4, kernel_size=7, stride=2, padding=3),
        (1, 3, 16, 16),
    ),
    "odd_channels": (dict(in_channels=5, out_channels=13, kernel_size=3, padding=1), (1, 5, 7, 9)),
    "wide_channels": (
        dict(in_channels=16, out_channels=24, kernel_size=3, padding=1),
        (1, 16, 6, 6),
    ),
    "single_pixel_out": (dict(in_channels=3, out_channels=4, kernel_size=5), (1, 3, 5, 5)),
    "all_options": (
        dict(
            in_channels=4, out_channels=6, kernel_size=3, stride=2, padding=2, dilation=2, groups=2
        ),
        (1, 4, 11, 11),
    ),
    "padding_reflect": (
        dict(in_channels=2, out_channels=3, kernel_size=3, padding=1, padding_mode="reflect"),
        (1, 2, 6, 6),
    ),
    "padding_replicate": (
        dict(in_channels=2, out_channels=3, kernel_size=3, padding=1, padding_mode="replicate"),
        (1, 2, 6, 6),
    ),
    "padding_circular": (
        dict(in_channels=2, out_channels=3, kernel_size=3, padding=1, padding_mode="circular"),
        (1, 2, 6, 6),
    ),
}

for name, (kwargs, shape) in CONV1D.items():
    case(f"conv1d_{name}", functools.partial(nn.Conv1d, **kwargs), image(*shape), tol=F32_SUM)

for name, (kwargs, shape) in CONV2D.items():
    case(f"conv2d_{name}", functools.partial(nn.Conv2d, **kwargs), image(*shape), tol=F32_SUM)

case(
    "conv2d_relu_conv",
    lambda: nn.Sequential(nn.Conv2d(3, 8, 3, padding=1), nn.ReLU(), nn.Conv2d(8, 4, 3, stride=2)),
    image(1, 3, 8, 8),
    tol=F32_SUM,
)
case(
    "conv2d_bn_relu",
    lambda: nn.Sequential(nn.Conv2d(3, 6, 3, padding=1, bias=False), nn.BatchNorm2d(6), nn.ReLU()),
    image(2, 3, 6, 6),
    tol=F32_SUM,
)
case("conv_transpose1d", lambda: nn.ConvTranspose1d(3, 4, 3, stride=2), image(1, 3, 6), tol=F32_SUM)
case(
    "conv_transpose2d",
    lambda: nn.ConvTranspose2d(4, 3, 3, stride=2, padding=1),
    image(1, 4, 5, 5),
    tol=F32_SUM,
)
case("conv3d", lambda: nn.Conv3d(2, 3, 3, padding=1), image(1, 2, 4, 5, 5), tol=F32_SUM)
# Transposed convolutions with groups: kiln rewrites them as forward grouped convolutions
# (torch-mlir's own lowering of these builds invalid IR).
case(
    "conv_transpose2d_depthwise",
    lambda: nn.ConvTranspose2d(8, 8, 3, stride=2, padding=1, output_padding=1, groups=8),
    image(1, 8, 10, 10),
    tol=F32_SUM,
)
case(
    "conv_transpose2d_groups_all_options",
    lambda: nn.ConvTranspose2d(
        4,
        6,
        (3, 2),
        stride=(2, 3),
        padding=(2, 0),
        output_padding=(1, 0),
        dilation=(1, 2),
        groups=2,
    ),
    image(2, 4, 7, 6),
    tol=F32_SUM,
)
case(
    "conv_transpose2d_groups_padding_beyond_kernel",  # padding > dilation * (k - 1): crops
    lambda: nn.ConvTranspose2d(4, 4, 3, stride=2, padding=3, groups=2),
    image(1, 4, 6, 6),
    tol=F32_SUM,
)
case(
    "conv_transpose1d_groups_no_bias",
    lambda: nn.ConvTranspose1d(6, 9, 4, stride=3, padding=3, groups=3, bias=False),
    image(1, 6, 9),
    tol=F32_SUM,
)
# Grouped 3-D convolutions: a sum over depth taps of grouped 2-D convolutions.
case(
    "conv3d_depthwise",
    lambda: nn.Conv3d(8, 8, (3, 1, 1), padding=(1, 0, 0), groups=8),
    image(1, 8, 5, 6, 6),
    tol=F32_SUM,
)
case(
    "conv3d_groups_all_options",
    lambda: nn.Conv3d(
        6, 4, (3, 3, 2), stride=(2, 1, 2), padding=(1, 2, 0), dilation=(2, 1, 1), groups=2
    ),
    image(2, 6, 9, 7, 8),
    tol=F32_SUM,
)
case(
    "conv_transpose3d_depthwise",
    lambda: nn.ConvTranspose3d(4, 4, 3, stride=2, groups=4, bias=False),
    image(1, 4, 3, 4, 5),
    tol=F32_SUM,
)
