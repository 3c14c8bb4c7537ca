"""Kernels whose rows no register block divides compute padded rows, and match eager.

A contraction's M (``choose_blocking``: ViT's 197 tokens) and a convolution's output
row (``kiln-pad-conv-rows``: Inception's 17 x 17, SqueezeNet's 13 x 13) with no
dividing block of 3+ rows ran one-row register blocks, about half speed. They now
run padded to whole blocks, with their epilogues, and the result is sliced back.
Each case checks the answer against eager PyTorch at 1 and 2 threads and that the
padding happened (the graph stage's kernels have the padded size).

Tolerances: f32 sums of at most 3 x 3 x 256 products in another order than
PyTorch's: 1e-5 relative to the output's largest value.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn

import kiln

RTOL = 1e-5


class ConvBlock(nn.Module):
    """conv -> BN -> ReLU -> 1x7 conv -> BN, + the input, ReLU (Inception/ResNet-like)."""

    def __init__(self, channels: int, stride: int = 1):
        super().__init__()
        self.conv = nn.Conv2d(channels, channels, 3, stride=stride, padding=1)
        self.bn = nn.BatchNorm2d(channels)
        self.conv_1x7 = nn.Conv2d(channels, channels, (1, 7), padding=(0, 3), bias=False)
        self.bn_1x7 = nn.BatchNorm2d(channels)
        self.pool = nn.AvgPool2d(3, stride, 1) if stride > 1 else nn.Identity()

    def forward(self, x):
        y = torch.relu(self.bn(self.conv(x)))
        return torch.relu(self.bn_1x7(self.conv_1x7(y)) + self.pool(x))


class Mlp(nn.Module):
    """A transformer MLP with its residual: Linear, GELU, Linear, + the input."""

    def __init__(self, width: int):
        super().__init__()
        self.fc1, self.fc2 = nn.Linear(width, 4 * width), nn.Linear(4 * width, width)

    def forward(self, x):
        return self.fc2(nn.functional.gelu(self.fc1(x))) + x


CASES = {
    # (model, input shape, padded size the graph stage must show)
    "conv_block_13": (lambda: ConvBlock(32), (1, 32, 13, 13), "1x13x16x32xf32"),
    "conv_block_17_batch2": (lambda: ConvBlock(16), (2, 16, 17, 17), "2x17x18x16xf32"),
    "conv_block_strided_35_to_18": (lambda: ConvBlock(16, stride=2), (1, 16, 35, 35), None),
    "conv_1x1_11": (lambda: nn.Conv2d(64, 48, 1), (1, 64, 11, 11), "1x11x12x48xf32"),
    "mlp_197_tokens": (lambda: Mlp(64), (1, 197, 64), "1x50x4x"),
    "mlp_7_tokens": (lambda: Mlp(32), (7, 32), "2x4x"),
}


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("name", sorted(CASES))
def test_padded_rows_match_eager(name, threads, tmp_path):
    make, shape, padded = CASES[name]
    torch.manual_seed(0)
    model = make().eval()
    for module in model.modules():
        if isinstance(module, nn.BatchNorm2d):
            nn.init.uniform_(module.running_mean, -1, 1)
            nn.init.uniform_(module.running_var, 0.5, 2)
    x = torch.randn(*shape)
    before = x.clone()
    with torch.no_grad():
        want = model(x)
    compiled = kiln.compile(model, x, threads=threads, dump_dir=tmp_path)
    got = compiled(x)
    assert got.shape == want.shape
    torch.testing.assert_close(got, want, rtol=0, atol=RTOL * want.abs().max().item())
    torch.testing.assert_close(compiled(x), got, rtol=0, atol=0)
    assert torch.equal(x, before)
    if padded:
        (graph,) = tmp_path.glob("*.01-graph.mlir")
        assert f"tensor<{padded}" in graph.read_text()
