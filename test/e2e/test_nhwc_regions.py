"""The ops between convolutions run NHWC (``kiln-sink-transposes``), and match eager.

Squeeze-excitation (a global mean, two 1x1 convolutions, a sigmoid scale), ReXNet's
channel-slice residual ``x[:, 0:C] += shortcut`` and DenseNet's channel
concatenation sit between convolutions. Each case checks the answer against eager
PyTorch at 1 and 2 threads, and that the graph stage computes no activation in NCHW
but the model's output: the only op of the graph stage producing an N x C x H x W
tensor is the output's transpose back from NHWC.

Tolerances: f32 sums of at most 3 x 3 x 48 products and a mean over 196 pixels in
another order than PyTorch's: 1e-5 relative to the output's largest value.
"""

from __future__ import annotations

import re

import pytest
import torch
import torch.nn as nn

import kiln

RTOL = 1e-5


class SqueezeExcite(nn.Module):
    """conv-BN-SiLU, then x * sigmoid(fc2(relu(fc1(mean_hw(x))))), then a 1x1 conv."""

    def __init__(self, c=32):
        super().__init__()
        self.conv = nn.Conv2d(c, c, 3, padding=1)
        self.bn = nn.BatchNorm2d(c)
        self.fc1 = nn.Conv2d(c, 8, 1)
        self.fc2 = nn.Conv2d(8, c, 1)
        self.project = nn.Conv2d(c, 24, 1)

    def forward(self, x):
        y = nn.functional.silu(self.bn(self.conv(x)))
        s = torch.sigmoid(self.fc2(torch.relu(self.fc1(y.mean((2, 3), keepdim=True)))))
        return self.project(y * s)


class ChannelSliceResidual(nn.Module):
    """ReXNet: the block widens 16 -> 27 channels and adds its input to the first 16."""

    def __init__(self):
        super().__init__()
        self.stem = nn.Conv2d(8, 16, 3, padding=1)
        self.expand = nn.Conv2d(16, 48, 1)
        self.depthwise = nn.Conv2d(48, 48, 3, padding=1, groups=48)
        self.project = nn.Conv2d(48, 27, 1)
        self.head = nn.Conv2d(27, 32, 1)

    def forward(self, x):
        shortcut = self.stem(x)
        y = self.project(nn.functional.relu6(self.depthwise(self.expand(shortcut))))
        y = torch.cat([y[:, 0:16] + shortcut, y[:, 16:]], dim=1)
        return self.head(y)


class DenseConcat(nn.Module):
    """DenseNet: each layer's BN-ReLU-conv reads the concatenation of all features before it."""

    def __init__(self, c=16, growth=8, layers=3):
        super().__init__()
        self.stem = nn.Conv2d(3, c, 3, padding=1)
        widths = [c + growth * i for i in range(layers)]
        self.norms = nn.ModuleList(nn.BatchNorm2d(w) for w in widths)
        self.convs = nn.ModuleList(nn.Conv2d(w, growth, 3, padding=1) for w in widths)
        self.out = nn.Conv2d(c + growth * layers, 24, 1)

    def forward(self, x):
        features = self.stem(x)
        for norm, conv in zip(self.norms, self.convs, strict=True):
            features = torch.cat([features, conv(torch.relu(norm(features)))], dim=1)
        return self.out(features)


def _randomize_norms(model: nn.Module) -> nn.Module:
    torch.manual_seed(1)
    for m in model.modules():
        if isinstance(m, nn.BatchNorm2d):
            m.running_mean.uniform_(-0.5, 0.5)
            m.running_var.uniform_(0.5, 1.5)
            m.weight.data.uniform_(0.5, 1.5)
    return model.eval()


CASES = {
    "squeeze_excite": (SqueezeExcite, (1, 32, 14, 14)),
    "channel_slice_residual": (ChannelSliceResidual, (1, 8, 14, 14)),
    "dense_concat": (DenseConcat, (1, 3, 14, 14)),
}


def _nchw_producers(graph: str, pixels: int) -> int:
    """Ops of the graph stage whose result is an NCHW activation (N x C x pixels x pixels)."""
    nchw = re.compile(rf"-> tensor<1x(\d+)x{pixels}x{pixels}xf32>$")
    return sum(1 for line in graph.splitlines() if nchw.search(line.rstrip()))


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("name", sorted(CASES))
def test_nhwc_regions_match_eager(name, threads, tmp_path):
    make, shape = CASES[name]
    torch.manual_seed(0)
    model = _randomize_norms(make())
    x = torch.randn(*shape)
    with torch.no_grad():
        want = model(x)
    compiled = kiln.compile(model, x, threads=threads, dump_dir=tmp_path, quiet=True)
    got = compiled(x)
    assert got.shape == want.shape
    torch.testing.assert_close(got, want, rtol=0, atol=RTOL * want.abs().max().item())
    (graph,) = tmp_path.glob("*.01-graph.mlir")
    assert _nchw_producers(graph.read_text(), shape[-1]) == 1
