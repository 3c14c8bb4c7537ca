"""Convolutions with odd channel counts compute padded channels, and match eager.

``kiln-pad-conv-channels`` pads output channels that are no multiple of the vector
width (ReXNet's 366, 162) and input channels that would reduce a few at a time
(prime counts), when that adds at most 1/8 of the work. The padded output channels
must never reach a result: here a reciprocal after the first convolution turns its
zero padded channels into infinities, which a depthwise and a dense convolution
then read through their padded inputs. Each case checks the answer against eager
PyTorch at 1 and 2 threads, a second call, the input untouched, and that the padding
happened (the graph stage's kernels have the padded size).

Tolerances: f32 sums of at most 3 x 3 x 366 products in another order than PyTorch's:
1e-5 relative to the output's largest value.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn

import kiln
from kiln.targets import host_vector_width

RTOL = 1e-5


class InvertedResidual(nn.Module):
    """ReXNet-like: 1x1 expand (67 -> 366), reciprocal, depthwise 3x3, 1x1 project to
    27 (whose 366 inputs then reduce 6 a step: padded to 368), + a 1x1 shortcut."""

    def __init__(self):
        super().__init__()
        self.expand = nn.Conv2d(67, 366, 1)
        self.depthwise = nn.Conv2d(366, 366, 3, padding=1, groups=366)
        self.project = nn.Conv2d(366, 27, 1)
        self.shortcut = nn.Conv2d(67, 27, 1)

    def forward(self, x):
        y = 1.0 / (nn.functional.silu(self.expand(x)) + 2.0)
        y = torch.relu(self.depthwise(y))
        return self.project(y) + self.shortcut(x)


class StridedDepthwise(nn.Module):
    """A stride-2 depthwise convolution over 162 channels, then BN-like scale, SiLU."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(162, 162, 3, stride=2, padding=1, groups=162)
        self.scale = nn.Parameter(torch.rand(1, 162, 1, 1) + 0.5)

    def forward(self, x):
        return nn.functional.silu(self.conv(x) * self.scale)


class Reciprocal(nn.Module):
    """1x1 conv to 62 channels, then 1/x: the padded channels hold 1/0 = inf."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(16, 62, 1)
        self.depthwise = nn.Conv2d(62, 62, 3, padding=1, groups=62)

    def forward(self, x):
        return self.depthwise(1.0 / self.conv(x))


def _padded(channels: int) -> int:
    """``channels`` rounded up to the host's vector width (kiln-pad-conv-channels)."""
    lanes = host_vector_width()
    return -(-channels // lanes) * lanes


CASES = {
    # (model, input shape, padded size the graph stage must show: 366 and 62 channels pad
    # to the same size at 8 and 16 lanes, 162 to 168 or 176)
    "inverted_residual_28": (InvertedResidual, (1, 67, 28, 28), "1x28x28x368xf32"),
    "strided_depthwise_56": (StridedDepthwise, (1, 162, 56, 56), f"1x28x28x{_padded(162)}xf32"),
    "reciprocal_of_padded": (Reciprocal, (2, 16, 9, 9), "2x9x9x64xf32"),
}


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("name", sorted(CASES))
def test_padded_channels_match_eager(name, threads, tmp_path):
    make, shape, padded = CASES[name]
    torch.manual_seed(0)
    model = make().eval()
    x = torch.randn(*shape)
    before = x.clone()
    with torch.no_grad():
        want = model(x)
    compiled = kiln.compile(model, x, threads=threads, dump_dir=tmp_path)
    got = compiled(x)
    assert got.shape == want.shape
    assert torch.isfinite(got).all()
    torch.testing.assert_close(got, want, rtol=0, atol=RTOL * want.abs().max().item())
    torch.testing.assert_close(compiled(x), got, rtol=0, atol=0)
    assert torch.equal(x, before)
    (graph,) = tmp_path.glob("*.01-graph.mlir")
    assert f"tensor<{padded}" in graph.read_text()
