"""Winograd convolutions (``kiln-winograd-conv``) match eager PyTorch and a float64 reference.

Each case compiles with ``CpuTarget(winograd=True)`` and the tile forced to
F(2,3) or F(4,3) (or chosen per layer). Tolerances:
- against float64: the documented first-order bound of F(m,3),
  ``2^-24 * (C + 6) * E_m * max|w| * max|x|`` (E_2 = 64, E_4 = 2304), checked on a
  bare convolution (no epilogue);
- against eager f32 (which has its own rounding error, ~``2^-24 * 9C`` times the
  same magnitudes): 2e-5 absolute and relative for F(2,3), 2e-4 for F(4,3), on
  outputs of order 1 with channels up to 64.
"""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest
import torch
import torch.nn as nn
from kiln.lowering.cpu.pipeline import CpuTarget, cpu_pipeline
from kiln.lowering.cpu.winograd_conv import WinogradConv
from kiln.lowering.cpu.winograd_matrices import TRANSFORMS

import kiln
from kiln.targets import host_target
from kiln.zoo import ZOO

EPS = 2.0**-24
TOLERANCE = {2: 2e-5, 4: 2e-4, 0: 2e-4}


def winograd_pipeline(
    threads: int, tile: int, row_blocks: int = 0, min_size: int = 1, separable: bool = False
):
    """The CPU pipeline with Winograd on, its tile forced (0: per layer), its blocks of
    tile rows forced (0: per layer), on outputs of at least ``min_size`` (1: all)."""
    target = dataclasses.replace(host_target(threads), winograd=True)
    pipeline = cpu_pipeline(target)
    # separable: the separable transforms even for one convolution (else the 2-D form).
    form = {"separable_above": 0} if separable else {}
    spec = WinogradConv(tile=tile, row_blocks=row_blocks, min_size=min_size, **form).spec(
        all_options=True
    )
    stages = tuple(
        dataclasses.replace(
            stage,
            passes=tuple(spec if p.startswith(WinogradConv.name) else p for p in stage.passes),
        )
        for stage in pipeline.stages
    )
    assert spec in " ".join(p for stage in stages for p in stage.passes)
    return dataclasses.replace(pipeline, stages=stages)


class ConvBlock(nn.Module):
    """conv(+bias) -> ReLU -> conv -> + residual -> ReLU, as a ResNet basic block."""

    def __init__(self, channels: int, padding: int):
        super().__init__()
        self.c1 = nn.Conv2d(channels, channels, 3, padding=padding)
        self.c2 = nn.Conv2d(channels, channels, 3, padding=1, bias=False)

    def forward(self, x):
        y = torch.relu(self.c1(x))
        return torch.relu(self.c2(y) + y)


@pytest.mark.parametrize("separable", [False, True], ids=["2d", "separable"])
@pytest.mark.parametrize(
    "size,padding,tile",
    [(14, 1, 2), (14, 1, 4), (13, 1, 2), (11, 0, 4), (7, 1, 0), (9, 0, 2)],
)
def test_block_matches_eager(size, padding, tile, separable, tmp_path):
    torch.manual_seed(size + padding)
    model = ConvBlock(32, padding).eval()
    x = torch.randn(1, 32, size, size)
    pipeline = winograd_pipeline(1, tile, separable=separable)
    compiled = kiln.compile(model, x, threads=1, pipeline=pipeline, quiet=True, dump_dir=tmp_path)
    tol = TOLERANCE[tile]
    torch.testing.assert_close(compiled(x), model(x), rtol=tol, atol=tol)
    graph = next(tmp_path.glob("*.01-graph.mlir")).read_text()
    assert "linalg.conv_2d_nhwc_hwcf" not in graph  # both convolutions went Winograd


@pytest.mark.parametrize("separable", [False, True], ids=["2d", "separable"])
@pytest.mark.parametrize(
    "size,tile,row_blocks,threads",
    [(16, 4, 2, 1), (16, 4, 4, 2), (14, 2, 7, 2), (13, 4, 2, 2), (28, 0, 7, 2)],
)
def test_blocked_matches_eager(size, tile, row_blocks, threads, separable, tmp_path):
    """Transforms and batch matmul per block of tile rows (an scf.forall the threads
    share out), with the bias, ReLU and residual epilogue after it."""
    torch.manual_seed(size + tile)
    model = ConvBlock(32, 1).eval()
    x = torch.randn(1, 32, size, size)
    pipeline = winograd_pipeline(threads, tile, row_blocks, separable=separable)
    compiled = kiln.compile(
        model, x, threads=threads, pipeline=pipeline, quiet=True, dump_dir=tmp_path
    )
    tol = TOLERANCE[tile]
    torch.testing.assert_close(compiled(x), model(x), rtol=tol, atol=tol)
    graph = next(tmp_path.glob("*.01-graph.mlir")).read_text()
    assert "linalg.conv_2d_nhwc_hwcf" not in graph
    assert "kiln.thread_blocks" in graph
    # The input transform writes its alpha^2 slices of V in place (kiln-forward-slice-copies):
    # fewer copies are left for the two convolutions than its results once took alone.
    alpha = TRANSFORMS[tile or 4].alpha
    bufferized = next(tmp_path.glob("*.05-bufferized.mlir")).read_text()
    assert bufferized.count("linalg.copy") < 2 * (alpha * alpha - 1)


@pytest.mark.parametrize("tile", [2, 4])
def test_error_within_documented_bound(tile):
    """A bare 64-channel convolution vs float64, within the F(m,3) bound."""
    torch.manual_seed(tile)
    conv = nn.Conv2d(64, 64, 3, padding=1, bias=False).eval()
    x = torch.randn(1, 64, 12, 12)
    compiled = kiln.compile(conv, x, threads=1, pipeline=winograd_pipeline(1, tile), quiet=True)
    exact = conv.double()(x.double()).detach().numpy()
    error = np.abs(compiled(x).numpy().astype(np.float64) - exact).max()
    w_max = conv.weight.detach().abs().max().item()
    bound = EPS * (64 + 6) * TRANSFORMS[tile].error_factor() * w_max * x.abs().max().item()
    assert error <= bound, f"F({tile},3) error {error:.3g} above the bound {bound:.3g}"
    assert error > 0  # the Winograd path really ran (a direct conv is not bit-exact here either)


@pytest.mark.parametrize("threads", [1, 2])
def test_cnn_matches_eager(threads):
    entry = ZOO["cnn"]
    model, inputs = entry.make()
    compiled = kiln.compile(
        model, *inputs, threads=threads, pipeline=winograd_pipeline(threads, 0), quiet=True
    )
    torch.testing.assert_close(compiled(*inputs), model(*inputs), rtol=2e-4, atol=2e-4)


def test_on_by_default_and_switchable():
    assert "kiln-winograd-conv" in " ".join(cpu_pipeline(CpuTarget()).specs())
    assert "kiln-winograd-conv" not in " ".join(cpu_pipeline(CpuTarget(winograd=False)).specs())
    bf16 = CpuTarget(vector_width=16, avx512_bf16=True, precision="bf16", winograd=True)
    assert "kiln-winograd-conv" not in " ".join(cpu_pipeline(bf16).specs())
    with pytest.raises(ValueError, match="winograd must be a bool"):
        CpuTarget(winograd=1)


def test_resnet18_rule_matches_eager(tmp_path):
    """By default the pass's rule picks ResNet-18's 3x3 stride-1 convolutions at 56,
    28 and 14 (in blocks of tile rows at 56 and 28), not those at 7 x 7."""
    model, inputs = ZOO["resnet18"].make()
    compiled = kiln.compile(model, *inputs, threads=2, quiet=True, dump_dir=tmp_path)
    torch.testing.assert_close(compiled(*inputs), model(*inputs), rtol=1e-3, atol=1e-3)
    graph = next(tmp_path.glob("*.01-graph.mlir")).read_text()
    assert graph.count("kiln.thread_blocks") == 7  # 4 convolutions at 56 x 56, 3 at 28 x 28
