"""1-D and 3-D convolutions compile to kiln's 2-D convolution schedules and match eager.

torch-mlir lowers a 1-D or 3-D convolution to a named linalg op that no kiln pass
schedules: it ran as plain loops (Whisper's encoder 3x slower than eager, all of it
in its two 1-D convolutions). kiln's frontend rewrites them as 2-D convolutions
(``kiln.frontend.conv_decompositions``): a 1-D one over a unit height, a 3-D one as
the sum over its depth taps of 2-D convolutions, a transposed 3-D one as a forward
one. Each case checks the answer against eager PyTorch and that the imported linalg
holds 2-D convolutions only.

Tolerances: f32 sums of at most 8 x 31 x 32 products in another order than
PyTorch's (depth taps summed last): 2e-5 relative to the output's largest value.
"""

from __future__ import annotations

import re

import pytest
import torch
import torch.nn as nn

import kiln

RTOL = 2e-5


class Conformer(nn.Module):
    """Conformer's convolution module: pointwise, GLU, depthwise 31-tap, BN, SiLU, pointwise."""

    def __init__(self, channels: int = 64):
        super().__init__()
        self.pointwise_in = nn.Conv1d(channels, 2 * channels, 1)
        self.depthwise = nn.Conv1d(channels, channels, 31, padding=15, groups=channels)
        self.norm = nn.BatchNorm1d(channels)
        self.pointwise_out = nn.Conv1d(channels, channels, 1)

    def forward(self, x):
        x = nn.functional.glu(self.pointwise_in(x), dim=1)
        x = nn.functional.silu(self.norm(self.depthwise(x)))
        return self.pointwise_out(x)


class WhisperFrontEnd(nn.Module):
    """Whisper's encoder stem: two 3-tap 1-D convolutions (the second at stride 2), GELU."""

    def __init__(self):
        super().__init__()
        self.conv1 = nn.Conv1d(80, 384, 3, padding=1)
        self.conv2 = nn.Conv1d(384, 384, 3, stride=2, padding=1)

    def forward(self, x):
        return nn.functional.gelu(self.conv2(nn.functional.gelu(self.conv1(x))))


def _r3d_block():
    """A video ResNet stem and basic block's 3x3x3 convolutions, BN, ReLU."""
    return nn.Sequential(
        nn.Conv3d(3, 16, (3, 7, 7), stride=(1, 2, 2), padding=(1, 3, 3), bias=False),
        nn.BatchNorm3d(16),
        nn.ReLU(),
        nn.Conv3d(16, 16, 3, padding=1, bias=False),
        nn.BatchNorm3d(16),
        nn.ReLU(),
    )


class Conv3dOp(nn.Module):
    """``aten.conv3d`` called with its own arguments: a 1-element stride/padding/dilation
    stands for every spatial dim, as does ``padding="valid"`` (one 0)."""

    def __init__(self, **params):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(8, 2, 3, 3, 3))
        self.bias = nn.Parameter(torch.randn(8))
        self.params = params

    def forward(self, x):
        return torch.ops.aten.conv3d(x, self.weight, self.bias, **self.params)


class ConvTranspose3dOp(nn.Module):
    """``aten.conv_transpose3d`` with 1-element stride, padding and output padding."""

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(4, 6, 3, 3, 3))

    def forward(self, x):
        return torch.ops.aten.conv_transpose3d(
            x, self.weight, None, stride=(2,), padding=(1,), output_padding=(1,)
        )


class ConvTbc(nn.Module):
    """``torch.conv_tbc``: a 1-D convolution over (time, batch, channel) data (fairseq)."""

    def __init__(self):
        super().__init__()
        self.weight = nn.Parameter(torch.randn(3, 12, 20))  # (taps, in, out)
        self.bias = nn.Parameter(torch.randn(20))

    def forward(self, x):
        return torch.conv_tbc(x, self.weight, self.bias, 1)


CASES = {
    "conv_tbc_time_batch_channel": (ConvTbc, (30, 2, 12)),
    "whisper_front_end": (WhisperFrontEnd, (1, 80, 256)),
    "conformer_conv_module": (Conformer, (2, 64, 100)),
    "conv1d_grouped_dilated": (
        lambda: nn.Conv1d(64, 128, 5, padding=4, dilation=2, groups=16),
        (1, 64, 77),
    ),
    "conv1d_no_padding_stride3": (lambda: nn.Conv1d(12, 20, 4, stride=3), (3, 12, 50)),
    "conv_transpose1d": (lambda: nn.ConvTranspose1d(32, 16, 4, stride=2, padding=1), (1, 32, 50)),
    "r3d_stem_and_block": (_r3d_block, (1, 3, 8, 32, 32)),
    "conv3d_strided_dilated": (
        lambda: nn.Conv3d(
            8, 16, (3, 5, 5), stride=(2, 1, 2), padding=(1, 2, 0), dilation=(1, 2, 1)
        ),
        (2, 8, 7, 21, 19),
    ),
    "conv3d_depthwise": (lambda: nn.Conv3d(16, 16, 3, padding=1, groups=16), (1, 16, 5, 12, 12)),
    "conv_transpose3d": (
        lambda: nn.ConvTranspose3d(8, 4, 3, stride=2, padding=1, output_padding=1),
        (1, 8, 4, 6, 6),
    ),
    "conv3d_one_element_params": (
        lambda: Conv3dOp(stride=(2,), padding=(1,), dilation=(1,)),
        (2, 2, 6, 7, 6),
    ),
    "conv3d_padding_valid": (lambda: Conv3dOp(padding="valid"), (2, 2, 6, 6, 6)),
    "conv_transpose3d_one_element_params": (ConvTranspose3dOp, (1, 4, 3, 4, 5)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_matches_eager_as_2d_convolutions(name, tmp_path):
    make, shape = CASES[name]
    torch.manual_seed(0)
    model = make().eval()
    x = torch.randn(*shape)
    with torch.no_grad():
        want = model(x)
    compiled = kiln.compile(model, x, threads=1, dump_dir=tmp_path)
    got = compiled(x)
    assert got.shape == want.shape
    torch.testing.assert_close(got, want, rtol=0, atol=RTOL * want.abs().max().item())
    (imported,) = tmp_path.glob("*.frontend.02-linalg.mlir")
    convolutions = re.findall(r"linalg\.(?:depthwise_)?conv_\w+", imported.read_text())
    assert convolutions, "the imported model has no convolution"
    assert all("_2d_" in op for op in convolutions), sorted(set(convolutions))
