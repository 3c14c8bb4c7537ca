"""Views of weights are folded in PyTorch before import (kiln/frontend/constant_views.py).

torch-mlir's canonicalizer rebuilt a viewed weight literal element by element (10 s
for one 1536 x 512 x 3 x 3 weight; nfnet_l0 spent 48 s of its import there). The
cases: weight-standardized convolutions (NFNet/BiT: the weight viewed, normalized,
viewed back), a weight read both directly and through a view, a view of a view, a
buffer viewed, and a weight that forward writes to (never folded). Each compiles
and matches eager within 1e-5 relative to the output's scale; the fold counts are
checked on the exported program.
"""

from __future__ import annotations

import torch
import torch.nn.functional as F

import kiln
from kiln.frontend.constant_views import fold_constant_views


class StdConv(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.weight = torch.nn.Parameter(torch.randn(16, 8, 3, 3))
        self.register_buffer("table", torch.randn(4, 16))

    def forward(self, x):
        w = self.weight
        flat = w.view(16, -1)  # weight standardization
        w = ((flat - flat.mean(1, keepdim=True)) / (flat.std(1, keepdim=True) + 1e-5)).view_as(w)
        y = F.conv2d(x, w, padding=1) + F.conv2d(x, self.weight, padding=1)  # read directly too
        bias = self.table.reshape(2, 2, 16).reshape(64)[:16]  # a view of a view of a buffer
        return y + bias.view(1, 16, 1, 1)


class Counter(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("count", torch.zeros(2, 2))

    def forward(self, x):
        self.count.add_(1.0)  # written: its views must read the live value
        return x + self.count.view(4)


def _check(model, x):
    torch.manual_seed(0)
    expected = model(x)
    out = kiln.compile(model, x, threads=1)(x)
    scale = expected.abs().max().item()
    assert (out - expected).abs().max().item() <= 1e-5 * scale


def test_weight_standardized_conv_matches_eager():
    torch.manual_seed(0)
    model = StdConv().eval()
    x = torch.randn(1, 8, 10, 10)
    program = torch.export.export(model, (x,))
    # the weight's view and the two reshapes of the table (the slice after them is no view)
    assert fold_constant_views(program) == 3
    _check(model, x)


def test_written_buffer_views_are_not_folded():
    model = Counter()
    x = torch.randn(4)
    program = torch.export.export(Counter(), (x,))
    assert fold_constant_views(program) == 0
    expected = Counter()(x)
    compiled = kiln.compile(model, x, threads=1)
    torch.testing.assert_close(compiled(x), expected)
