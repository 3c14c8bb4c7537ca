"""Epilogues of a matmul or a convolution that read loop indices or gather match eager PyTorch.

Issue 12, the real-model tier's "gathered addend in a conv/matmul epilogue" class: an
addend looked up in a table (SigLIP's position embedding after its patch convolution,
DeBERTa's relative-position scores after a matmul) joined the fusion group and
kiln-vectorize failed on it ("Attempted to vectorize, but failed"); it now runs as a
scalar loop inside the group. An addend computed from loop indices (a fused
``torch.arange``) after a matmul compiled but was wrong: kiln-block-epilogues moved its
body to the blocked loops without rewriting ``linalg.index``.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn

import kiln


class MatmulPlusArange(nn.Module):
    """x @ w + row * col, the row and column indices from torch.arange."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(64, 48))

    def forward(self, x):
        rows = torch.arange(x.shape[0], dtype=torch.float32)[:, None]
        return x @ self.w + rows * torch.arange(48, dtype=torch.float32)


class MatmulPlusGatheredRows(nn.Module):
    """x @ w + table[ids]: rows of a table gathered by an input index tensor."""

    def __init__(self):
        super().__init__()
        self.w = nn.Parameter(torch.randn(64, 48))
        self.table = nn.Parameter(torch.randn(100, 48))

    def forward(self, x, ids):
        return x @ self.w + self.table[ids]


class PatchEmbedPlusPosition(nn.Module):
    """SigLIP's embeddings: a 16x16 patch convolution, flattened, plus a position
    embedding looked up by a constant index buffer."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 64, 16, 16)
        self.position = nn.Embedding(196, 64)
        self.register_buffer("ids", torch.arange(196)[None], persistent=False)

    def forward(self, x):
        return self.conv(x).flatten(2).transpose(1, 2) + self.position(self.ids)


CASES = {
    "matmul_plus_arange": (MatmulPlusArange, lambda: (torch.randn(32, 64),)),
    "matmul_plus_gathered_rows": (
        MatmulPlusGatheredRows,
        lambda: (torch.randn(32, 64), torch.randint(0, 100, (32,))),
    ),
    "patch_embed_plus_position": (PatchEmbedPlusPosition, lambda: (torch.randn(1, 3, 224, 224),)),
}


@pytest.mark.parametrize("name", sorted(CASES))
@pytest.mark.parametrize("threads", [1, 2])
def test_matches_eager(name, threads):
    torch.manual_seed(0)
    build, make_inputs = CASES[name]
    model, inputs = build().eval(), make_inputs()
    with torch.no_grad():
        expected = model(*inputs)
    out = kiln.compile(model, *inputs, threads=threads)(*inputs)
    torch.testing.assert_close(out, expected, rtol=1e-4, atol=1e-4)
