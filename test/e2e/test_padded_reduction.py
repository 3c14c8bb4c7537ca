"""Contractions whose K no unrolled k step divides run with K padded by zeros, and match eager.

``kiln-pack-contractions`` pads a prime K (ViT attention's 197 tokens in
probabilities x values; a linear layer of 13 inputs) up to a multiple of 8,
with zeros in both operands, so the micro-kernel's k loop unrolls by 8 and
runs FMAs (a k step of one became a multiply and an add on a gathered column).
Each case checks the answer against eager PyTorch at 1 and 2 threads, a
second call, the inputs untouched, and that the padding happened (the graph
stage's blocked contraction reads the padded K).

Tolerances: f32 sums of at most 197 products in another order than PyTorch's:
1e-5 relative to the output's largest value. Padding adds exact zeros only; a
case with infinities in the real columns checks that the padding stays out of them.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import kiln

RTOL = 1e-5


class Attention(nn.Module):
    def forward(self, q, k, v):
        return F.scaled_dot_product_attention(q, k, v)


class ProbsTimesValues(nn.Module):
    def forward(self, p, v):
        return p @ v


CASES = {
    # (model, input shapes, the padded operand type the graph stage must show)
    "attention_197": (Attention, [(1, 3, 197, 64)] * 3, "x200xf32"),
    "probs_values_197_batch2": (ProbsTimesValues, [(2, 4, 197, 197), (2, 4, 197, 32)], "x200xf32"),
    "linear_13_inputs": (lambda: nn.Linear(13, 24), [(5, 13)], "16x8xf32"),
    "linear_11_inputs_wide": (lambda: nn.Linear(11, 40), [(1, 9, 11)], "x16xf32"),
}


def _inputs(shapes):
    torch.manual_seed(0)
    return [torch.randn(*s) for s in shapes]


@pytest.mark.parametrize("threads", [1, 2])
@pytest.mark.parametrize("name", sorted(CASES))
def test_padded_reduction_matches_eager(name, threads, tmp_path):
    make, shapes, padded = CASES[name]
    torch.manual_seed(0)
    model = make().eval()
    inputs = _inputs(shapes)
    before = [x.clone() for x in inputs]
    with torch.no_grad():
        want = model(*inputs)
    compiled = kiln.compile(model, *inputs, threads=threads, dump_dir=tmp_path)
    got = compiled(*inputs)
    assert got.shape == want.shape
    torch.testing.assert_close(got, want, rtol=0, atol=RTOL * want.abs().max().item())
    torch.testing.assert_close(compiled(*inputs), got, rtol=0, atol=0)
    assert all(torch.equal(x, b) for x, b in zip(inputs, before, strict=True))
    (graph,) = tmp_path.glob("*.01-graph.mlir")
    assert padded in graph.read_text()


def test_padding_keeps_infinities_in_their_columns():
    """An infinite value of A meets a finite B: its row is +-inf or nan exactly as eager's;
    the zero-padded columns add 0 * 0 and change nothing."""
    p, v = _inputs([(1, 1, 13, 13), (1, 1, 13, 16)])
    p[0, 0, 2, 5] = float("inf")
    want = ProbsTimesValues()(p, v)
    got = kiln.compile(ProbsTimesValues(), p, v, threads=1)(p, v)
    torch.testing.assert_close(got, want, rtol=1e-5, atol=1e-5, equal_nan=True)
