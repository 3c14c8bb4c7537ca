"""Recurrent layers (nn.LSTM, nn.GRU) compile and match eager: kept as one node through
torch.export and unrolled afterwards into the FX graph (kiln/frontend/recurrent_decompositions.py),
so that import time grows by microseconds, not milliseconds, a time step. Tolerance: rtol/atol
1e-5 (float32; only the order of the bias additions differs from PyTorch's)."""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn

import kiln
from kiln.frontend.decompositions import decomposition_table
from kiln.frontend.export import decomposed_program
from kiln.frontend.recurrent_decompositions import unroll_recurrent

CASES = {
    "lstm-2layer-bidir-batch-first": (
        lambda: nn.LSTM(8, 16, num_layers=2, batch_first=True, bidirectional=True),
        (3, 7, 8),
    ),
    "lstm-proj": (lambda: nn.LSTM(8, 16, proj_size=4), (5, 2, 8)),
    "lstm-unbatched-no-bias": (lambda: nn.LSTM(8, 16, bias=False), (5, 8)),
    "gru-2layer-bidir": (lambda: nn.GRU(8, 16, num_layers=2, bidirectional=True), (6, 2, 8)),
    "gru-batch-first-no-bias": (lambda: nn.GRU(8, 16, batch_first=True, bias=False), (2, 6, 8)),
}


def _assert_matches(got, want) -> None:
    leaves = torch.utils._pytree.tree_leaves
    for g, w in zip(leaves(got), leaves(want), strict=True):
        torch.testing.assert_close(g, w, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", sorted(CASES))
def test_recurrent_layer_matches_eager(name):
    make, shape = CASES[name]
    torch.manual_seed(0)
    model, x = make().eval(), torch.randn(shape)
    got = kiln.compile(model, x, threads=1, quiet=True)(x)
    want = model(x)
    _assert_matches(got, want)


def test_initial_state_input_matches_eager():
    torch.manual_seed(0)
    model = nn.LSTM(8, 16, bidirectional=True).eval()
    x, h0, c0 = torch.randn(4, 2, 8), torch.randn(2, 2, 16), torch.randn(2, 2, 16)
    got = kiln.compile(model, x, (h0, c0), threads=1, quiet=True)(x, (h0, c0))
    want = model(x, (h0, c0))
    _assert_matches(got, want)


class BiLSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(8, 4, batch_first=True, bidirectional=True)

    def forward(self, x):
        return self.rnn(x)[0]


def test_trace_keeps_one_node_and_unrolling_keeps_the_source_line():
    """The trace must not unroll the 40 steps (a millisecond per op); the unrolled nodes
    point at the user's line."""
    program = decomposed_program(BiLSTM().eval(), (torch.randn(2, 40, 8),), decomposition_table())
    targets = [n.target for n in program.graph.nodes if n.op == "call_function"]
    assert targets.count(torch.ops.aten.lstm.input) == 1
    assert targets.count(torch.ops.aten.sigmoid.default) == 0
    unroll_recurrent(program)
    nodes = [n for n in program.graph.nodes if n.op == "call_function"]
    assert torch.ops.aten.lstm.input not in [n.target for n in nodes]
    sigmoids = [n for n in nodes if n.target == torch.ops.aten.sigmoid.default]
    assert len(sigmoids) == 2 * 40 * 3
    assert all("self.rnn(x)" in n.meta["stack_trace"] for n in sigmoids)
