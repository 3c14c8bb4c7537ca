"""Depthwise and grouped convolutions, scheduled on the CPU, match eager PyTorch.

Each case is one convolution (depthwise or grouped; stride 1 or 2, dilation,
odd spatial sizes and channel counts) with the epilogue networks put after it
(bias, BatchNorm, ReLU, ReLU6, SiLU, GELU). Half of the cases hand their result
on channels-last (``permute(0, 2, 3, 1)``, as ConvNeXt does), so that the
epilogue is fused into the convolution's tiles as between two layers of a
network; the others return NCHW. Cases named ``b2_`` run at batch 2. Then the
characteristic blocks of MobileNetV2, EfficientNet-B0, ShuffleNet v1 and v2, ConvNeXt
and ResNeXt, at 1 and 2 threads.

Tolerances: f32 sums of at most 49 x 32 products, reassociated by the
vectorized kernel, and kiln's polynomial exp/erf (F32_MATH): 1e-5 relative and
1e-5 absolute on outputs of order 1.
"""

from __future__ import annotations

import zlib
from dataclasses import dataclass

import pytest
import torch
import torch.nn as nn

import kiln

RTOL = ATOL = 1e-5

ACTIVATIONS = {
    "none": nn.Identity,
    "relu": nn.ReLU,
    "relu6": nn.ReLU6,
    "silu": nn.SiLU,
    "gelu": nn.GELU,
}


@dataclass(frozen=True)
class ConvCase:
    """One convolution: (channels in, out, groups), kernel, stride, dilation, image size, epilogue."""

    cin: int
    cout: int
    groups: int
    kernel: int
    stride: int
    size: int
    epilogue: str  # "bias", "bn" or "bias_bn", then "_<activation>"
    dilation: int = 1
    batch: int = 1


CASES = {
    # MobileNetV2 / EfficientNet-B0 depthwise layers.
    "dw3_s1_c32_112_bn_relu6": ConvCase(32, 32, 32, 3, 1, 112, "bn_relu6"),
    "dw3_s2_c96_112_bn_relu6": ConvCase(96, 96, 96, 3, 2, 112, "bn_relu6"),
    "dw3_s1_c144_56_bn_relu6": ConvCase(144, 144, 144, 3, 1, 56, "bn_relu6"),
    "dw5_s2_c240_28_bn_silu": ConvCase(240, 240, 240, 5, 2, 28, "bn_silu"),
    "dw5_s1_c672_14_bn_silu": ConvCase(672, 672, 672, 5, 1, 14, "bn_silu"),
    # ConvNeXt: 7x7 with a bias, GELU later in the block.
    "dw7_s1_c96_56_bias": ConvCase(96, 96, 96, 7, 1, 56, "bias_none"),
    "dw7_s1_c768_7_bias_gelu": ConvCase(768, 768, 768, 7, 1, 7, "bias_gelu"),
    # ShuffleNetV2: channel counts that are not multiples of 8.
    "dw3_s1_c58_28_bn": ConvCase(58, 58, 58, 3, 1, 28, "bn_none"),
    "dw3_s2_c24_56_bn": ConvCase(24, 24, 24, 3, 2, 56, "bn_none"),
    # Dilation, odd image sizes, a channel multiplier (2 outputs per input channel).
    "dw3_d2_c32_14_relu": ConvCase(32, 32, 32, 3, 1, 14, "bias_relu", dilation=2),
    "dw3_s1_c20_13_relu": ConvCase(20, 20, 20, 3, 1, 13, "bias_bn_relu"),
    "dw3_s2_c16_odd15_relu": ConvCase(16, 16, 16, 3, 2, 15, "bn_relu"),
    "dw3_multiplier2_c8_14": ConvCase(8, 16, 8, 3, 1, 14, "bias_relu"),
    # ResNeXt-50 32x4d: 32 groups of 4, 8, 16 and 32 channels, stride 1 and 2.
    "g32_c128_56_bn_relu": ConvCase(128, 128, 32, 3, 1, 56, "bn_relu"),
    "g32_s2_c256_56_bn_relu": ConvCase(256, 256, 32, 3, 2, 56, "bn_relu"),
    "g32_c512_14_bn_relu": ConvCase(512, 512, 32, 3, 1, 14, "bn_relu"),
    "g32_s2_c1024_14_bn_relu": ConvCase(1024, 1024, 32, 3, 2, 14, "bn_relu"),
    # Other groupings: dilation, more outputs than inputs per group, 1x1, odd sizes.
    "g8_d2_c64_14_silu": ConvCase(64, 64, 8, 3, 1, 14, "bias_silu", dilation=2),
    "g4_c48_96_7_bias_gelu": ConvCase(48, 96, 4, 3, 1, 7, "bias_gelu"),
    "g2_1x1_c16_32_28_relu": ConvCase(16, 32, 2, 1, 1, 28, "bias_relu"),
    "g3_c9_15_11_bn_relu6": ConvCase(9, 15, 3, 3, 2, 11, "bn_relu6"),
    # Batch 2 and odd image sizes with the whole MobileNetV2 epilogue (bias, folded
    # BatchNorm, ReLU6): 3x3 depthwise at stride 1 and 2, 32, 96, 144 and 17 channels.
    "b2_dw3_s1_c32_17_bias_bn_relu6": ConvCase(32, 32, 32, 3, 1, 17, "bias_bn_relu6", batch=2),
    "b2_dw3_s2_c32_17_bias_bn_relu6": ConvCase(32, 32, 32, 3, 2, 17, "bias_bn_relu6", batch=2),
    "b2_dw3_s1_c96_15_bias_bn_relu6": ConvCase(96, 96, 96, 3, 1, 15, "bias_bn_relu6", batch=2),
    "b2_dw3_s2_c96_29_bias_bn_relu6": ConvCase(96, 96, 96, 3, 2, 29, "bias_bn_relu6", batch=2),
    "b2_dw3_s1_c144_9_bias_bn_relu6": ConvCase(144, 144, 144, 3, 1, 9, "bias_bn_relu6", batch=2),
    "b2_dw3_s2_c144_27_bias_bn_relu6": ConvCase(144, 144, 144, 3, 2, 27, "bias_bn_relu6", batch=2),
    "b2_dw3_s1_c17_13_bias_bn_relu6": ConvCase(17, 17, 17, 3, 1, 13, "bias_bn_relu6", batch=2),
    "b2_dw3_s2_c17_15_bias_bn_relu6": ConvCase(17, 17, 17, 3, 2, 15, "bias_bn_relu6", batch=2),
    "dw3_s1_c17_11_bias_bn_relu6": ConvCase(17, 17, 17, 3, 1, 11, "bias_bn_relu6"),
    "dw3_s2_c17_21_bias_bn_relu6": ConvCase(17, 17, 17, 3, 2, 21, "bias_bn_relu6"),
    # ResNeXt 32x4d's grouped 3x3 at batch 2 and odd sizes.
    "b2_g32_c128_15_bias_bn_relu6": ConvCase(128, 128, 32, 3, 1, 15, "bias_bn_relu6", batch=2),
    "b2_g32_s2_c256_13_bn_relu": ConvCase(256, 256, 32, 3, 2, 13, "bn_relu", batch=2),
    # ShuffleNet (v1) grouped 1x1 convolutions: 3 and 8 groups, into and out of the bottleneck.
    "b2_g3_1x1_c240_60_27_bn_relu": ConvCase(240, 60, 3, 1, 1, 27, "bn_relu", batch=2),
    "b2_g3_1x1_c60_240_13_bn": ConvCase(60, 240, 3, 1, 1, 13, "bn_none", batch=2),
    "g8_1x1_c384_96_13_bn_relu": ConvCase(384, 96, 8, 1, 1, 13, "bn_relu"),
    "b2_g8_1x1_c96_384_7_bias_bn_relu6": ConvCase(96, 384, 8, 1, 1, 7, "bias_bn_relu6", batch=2),
}


def _batch_norm(channels: int) -> nn.BatchNorm2d:
    bn = nn.BatchNorm2d(channels)
    bn.running_mean.uniform_(-0.5, 0.5)
    bn.running_var.uniform_(0.5, 2.0)
    bn.weight.data.uniform_(0.5, 1.5)
    bn.bias.data.uniform_(-0.5, 0.5)
    return bn


class ConvBlock(nn.Module):
    """conv -> [BatchNorm] -> activation, the result NCHW or channels-last."""

    def __init__(self, case: ConvCase, channels_last: bool):
        super().__init__()
        *parts, activation = case.epilogue.split("_")
        self.conv = nn.Conv2d(
            case.cin,
            case.cout,
            case.kernel,
            case.stride,
            case.dilation * (case.kernel // 2),
            dilation=case.dilation,
            groups=case.groups,
            bias="bias" in parts,
        )
        self.bn = _batch_norm(case.cout) if "bn" in parts else nn.Identity()
        self.act = ACTIVATIONS[activation]()
        self.channels_last = channels_last

    def forward(self, x):
        y = self.act(self.bn(self.conv(x)))
        return y.permute(0, 2, 3, 1) if self.channels_last else y


def _crc(name: str) -> int:
    return zlib.crc32(name.encode())


def _check(model: nn.Module, x: torch.Tensor, threads: int) -> None:
    model = model.eval()
    with torch.no_grad():
        expected = model(x)
    compiled = kiln.compile(model, x, threads=threads)
    torch.testing.assert_close(compiled(x), expected, rtol=RTOL, atol=ATOL)


@pytest.mark.parametrize("name", sorted(CASES))
def test_conv_matches_eager(name):
    case = CASES[name]
    torch.manual_seed(_crc(name) % 1000)
    # One or two threads and NCHW or channels-last, fixed per case (half of each).
    threads, channels_last = 1 + _crc(name) % 2, bool(_crc(name) // 2 % 2)
    model = ConvBlock(case, channels_last)
    x = torch.randn(case.batch, case.cin, case.size, case.size)
    _check(model, x, threads)


# --- the models' characteristic blocks -------------------------------------------------


class InvertedResidual(nn.Module):
    """MobileNetV2 / EfficientNet: 1x1 expand, depthwise k x k, [squeeze-excite], 1x1 project."""

    def __init__(self, cin, cout, stride, expand, kernel=3, act=nn.ReLU6, squeeze=False):
        super().__init__()
        hidden = cin * expand
        self.residual = stride == 1 and cin == cout
        self.expand = nn.Sequential(
            nn.Conv2d(cin, hidden, 1, bias=False), _batch_norm(hidden), act()
        )
        self.depthwise = nn.Sequential(
            nn.Conv2d(hidden, hidden, kernel, stride, kernel // 2, groups=hidden, bias=False),
            _batch_norm(hidden),
            act(),
        )
        self.squeeze = (
            nn.Sequential(
                nn.AdaptiveAvgPool2d(1),
                nn.Conv2d(hidden, cin // 4, 1),
                nn.SiLU(),
                nn.Conv2d(cin // 4, hidden, 1),
                nn.Sigmoid(),
            )
            if squeeze
            else None
        )
        self.project = nn.Sequential(nn.Conv2d(hidden, cout, 1, bias=False), _batch_norm(cout))

    def forward(self, x):
        y = self.depthwise(self.expand(x))
        if self.squeeze is not None:
            y = y * self.squeeze(y)
        y = self.project(y)
        return x + y if self.residual else y


class ShuffleUnit(nn.Module):
    """ShuffleNetV2's stride-1 unit: split, 1x1 -> depthwise 3x3 -> 1x1 on one half, shuffle."""

    def __init__(self, channels):
        super().__init__()
        half = channels // 2
        self.branch = nn.Sequential(
            nn.Conv2d(half, half, 1, bias=False),
            _batch_norm(half),
            nn.ReLU(),
            nn.Conv2d(half, half, 3, 1, 1, groups=half, bias=False),
            _batch_norm(half),
            nn.Conv2d(half, half, 1, bias=False),
            _batch_norm(half),
            nn.ReLU(),
        )

    def forward(self, x):
        keep, change = x.chunk(2, dim=1)
        y = torch.cat((keep, self.branch(change)), dim=1)
        n, c, h, w = y.shape
        return y.view(n, 2, c // 2, h, w).transpose(1, 2).reshape(n, c, h, w)


class ShuffleV1Unit(nn.Module):
    """ShuffleNet (v1) unit: grouped 1x1, channel shuffle, depthwise 3x3, grouped 1x1.

    At stride 2 the input, average-pooled, is concatenated; at stride 1 it is added.
    """

    def __init__(self, cin, cout, groups, stride):
        super().__init__()
        mid = cout // 4
        self.groups, self.stride = groups, stride
        out = cout - cin if stride == 2 else cout
        self.reduce = nn.Sequential(
            nn.Conv2d(cin, mid, 1, groups=groups, bias=False), _batch_norm(mid), nn.ReLU()
        )
        self.depthwise = nn.Sequential(
            nn.Conv2d(mid, mid, 3, stride, 1, groups=mid, bias=False), _batch_norm(mid)
        )
        self.expand = nn.Sequential(
            nn.Conv2d(mid, out, 1, groups=groups, bias=False), _batch_norm(out)
        )

    def forward(self, x):
        y = self.reduce(x)
        n, c, h, w = y.shape
        y = y.view(n, self.groups, c // self.groups, h, w).transpose(1, 2).reshape(n, c, h, w)
        y = self.expand(self.depthwise(y))
        if self.stride == 2:
            return torch.relu(torch.cat((nn.functional.avg_pool2d(x, 3, 2, 1), y), dim=1))
        return torch.relu(x + y)


class ConvNeXtBlock(nn.Module):
    """Depthwise 7x7, LayerNorm and a GELU MLP channels-last, layer scale, residual."""

    def __init__(self, channels):
        super().__init__()
        self.depthwise = nn.Conv2d(channels, channels, 7, padding=3, groups=channels)
        self.norm = nn.LayerNorm(channels)
        self.fc1 = nn.Linear(channels, 4 * channels)
        self.fc2 = nn.Linear(4 * channels, channels)
        self.gamma = nn.Parameter(torch.full((channels,), 0.5))

    def forward(self, x):
        y = self.depthwise(x).permute(0, 2, 3, 1)
        y = self.fc2(nn.functional.gelu(self.fc1(self.norm(y)))) * self.gamma
        return x + y.permute(0, 3, 1, 2)


class ResNeXtBottleneck(nn.Module):
    """1x1 reduce, grouped 3x3 (32 groups), 1x1 expand, projected or identity shortcut."""

    def __init__(self, cin, width, cout, stride):
        super().__init__()
        self.body = nn.Sequential(
            nn.Conv2d(cin, width, 1, bias=False),
            _batch_norm(width),
            nn.ReLU(),
            nn.Conv2d(width, width, 3, stride, 1, groups=32, bias=False),
            _batch_norm(width),
            nn.ReLU(),
            nn.Conv2d(width, cout, 1, bias=False),
            _batch_norm(cout),
        )
        self.shortcut = (
            nn.Identity()
            if stride == 1 and cin == cout
            else nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), _batch_norm(cout))
        )

    def forward(self, x):
        return torch.relu(self.body(x) + self.shortcut(x))


BLOCKS = {
    "mobilenetv2_s1": (lambda: InvertedResidual(24, 24, 1, 6), (1, 24, 28, 28)),
    "mobilenetv2_s2": (lambda: InvertedResidual(16, 24, 2, 6), (1, 16, 56, 56)),
    "efficientnet_mbconv5_se": (
        lambda: InvertedResidual(40, 40, 1, 6, kernel=5, act=nn.SiLU, squeeze=True),
        (1, 40, 14, 14),
    ),
    "shufflenetv2_unit_116": (lambda: ShuffleUnit(116), (1, 116, 28, 28)),
    "shufflenetv1_g3_s1_b2": (lambda: ShuffleV1Unit(240, 240, 3, 1), (2, 240, 13, 13)),
    "shufflenetv1_g8_s2_b2": (lambda: ShuffleV1Unit(384, 768, 8, 2), (2, 384, 15, 15)),
    "mobilenetv2_s2_b2_odd": (lambda: InvertedResidual(24, 32, 2, 6), (2, 24, 27, 27)),
    "resnext_bottleneck_s2_b2_odd": (
        lambda: ResNeXtBottleneck(256, 256, 512, 2),
        (2, 256, 13, 13),
    ),
    "convnext_block_96": (lambda: ConvNeXtBlock(96), (1, 96, 14, 14)),
    "resnext_bottleneck_s1": (lambda: ResNeXtBottleneck(256, 128, 256, 1), (1, 256, 14, 14)),
    "resnext_bottleneck_s2": (lambda: ResNeXtBottleneck(256, 256, 512, 2), (1, 256, 14, 14)),
}


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("name", sorted(BLOCKS))
def test_block_matches_eager(name, threads):
    build, shape = BLOCKS[name]
    torch.manual_seed(0)
    model = build()
    _check(model, torch.randn(*shape), threads)


# --- other element types -------------------------------------------------------------

# f16/bf16 convolutions accumulate in f32 (torch-mlir's lowering) and round once;
# tolerances are a few ulps of the output near ReLU6's top (ulp(4) = 2^-8 in f16).
DTYPE_TOLERANCES = {
    torch.float64: (1e-12, 1e-12),
    torch.float16: (1e-2, 1e-2),
    torch.bfloat16: (5e-2, 5e-2),
}


@pytest.mark.parametrize("kind", ["depthwise", "grouped"])
@pytest.mark.parametrize("dtype", sorted(DTYPE_TOLERANCES, key=str), ids=str)
def test_other_element_types_match_eager(dtype, kind):
    """Grouped convolutions of f16, bf16 and f64 (their body extends to the accumulator)."""
    torch.manual_seed(0)
    cin, cout, groups = (17, 17, 17) if kind == "depthwise" else (32, 64, 8)
    model = nn.Sequential(
        nn.Conv2d(cin, cout, 3, 2, 1, groups=groups), _batch_norm(cout), nn.ReLU6()
    )
    model = model.eval().to(dtype)
    x = torch.randn(2, cin, 15, 15, dtype=dtype)
    with torch.no_grad():
        expected = model(x)
    rtol, atol = DTYPE_TOLERANCES[dtype]
    compiled = kiln.compile(model, x, threads=1)
    torch.testing.assert_close(compiled(x), expected, rtol=rtol, atol=atol)
