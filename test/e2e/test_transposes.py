"""Standalone ops that read their input transposed (permute + elementwise, layout
changes at a model's boundary) run on 2-D vector tiles transposed in registers, and give
exactly eager's values at 1 and 2 threads, including shapes whose tiles do not divide a
thread's share (those keep the 1-D tile) and dims no multiple of 16 (8- or 4-wide tiles).
"""

from __future__ import annotations

import pytest
import torch

import kiln


class PermuteScale(torch.nn.Module):
    def __init__(self, perm):
        super().__init__()
        self.perm = perm

    def forward(self, x):
        return x.permute(*self.perm) * 2.0 + 1.0


CASES = [
    ((1024, 1024), (1, 0)),
    ((56, 56), (1, 0)),
    ((200, 56), (1, 0)),
    ((36, 20), (1, 0)),
    ((1, 3, 224, 224), (0, 2, 3, 1)),  # NCHW image -> NHWC
    ((1, 56, 56, 256), (0, 3, 1, 2)),  # NHWC feature map -> NCHW
    ((1, 56, 56, 24), (0, 3, 1, 2)),
    ((2, 40, 24, 12), (0, 3, 1, 2)),
    ((1, 12, 196, 64), (0, 1, 3, 2)),  # attention's K^T
    ((8, 48, 48), (0, 2, 1)),
]


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("shape, perm", CASES, ids=[f"{s}-{p}" for s, p in CASES])
def test_transposing_op_matches_eager_exactly(shape, perm, threads):
    torch.manual_seed(0)
    x = torch.randn(*shape)
    model = PermuteScale(perm)
    compiled = kiln.compile(model, x, threads=threads)
    got = compiled(x)
    assert got.is_contiguous()
    assert torch.equal(got, model(x).contiguous())
