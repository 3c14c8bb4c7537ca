"""Recurrent layers (nn.LSTM, nn.GRU) compile and match eager: kept as one node through
torch.export and expanded afterwards into the FX graph (kiln/frontend/recurrent_decompositions.py):
short sequences unrolled, longer ones as one step body in a while loop, so that neither import
nor compile time grows with the sequence length. Tolerance: rtol/atol 1e-5 (float32; only the
order of the bias additions differs from PyTorch's)."""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn
from kiln.lowering.cuda.gpu_launch_plan import Launch
from kiln.lowering.cuda.pipeline import CudaTarget, compile_cuda

import kiln
from kiln.api import import_model
from kiln.frontend.decompositions import decomposition_table
from kiln.frontend.export import decomposed_program
from kiln.frontend.recurrent_decompositions import UNROLLED_STEPS, expand_recurrent
from kiln.frontend.torch_import import import_torch_program
from kiln.targets import target_entry

LONG = 200  # steps: a loop, whatever UNROLLED_STEPS is

CASES = {
    "lstm-2layer-bidir-batch-first": (
        lambda: nn.LSTM(8, 16, num_layers=2, batch_first=True, bidirectional=True),
        (3, 7, 8),
    ),
    "lstm-proj": (lambda: nn.LSTM(8, 16, proj_size=4), (5, 2, 8)),
    "lstm-unbatched-no-bias": (lambda: nn.LSTM(8, 16, bias=False), (5, 8)),
    "gru-2layer-bidir": (lambda: nn.GRU(8, 16, num_layers=2, bidirectional=True), (6, 2, 8)),
    "gru-batch-first-no-bias": (lambda: nn.GRU(8, 16, batch_first=True, bias=False), (2, 6, 8)),
    "lstm-one-step-bidir": (lambda: nn.LSTM(8, 16, bidirectional=True), (1, 2, 8)),
    "gru-one-step-2layer": (lambda: nn.GRU(8, 16, num_layers=2), (1, 2, 8)),
    "long-lstm-2layer-bidir-batch-first": (
        lambda: nn.LSTM(8, 16, num_layers=2, batch_first=True, bidirectional=True),
        (3, LONG, 8),
    ),
    "long-lstm-proj-bidir": (lambda: nn.LSTM(8, 16, proj_size=4, bidirectional=True), (LONG, 2, 8)),
    "long-lstm-unbatched-no-bias": (lambda: nn.LSTM(8, 16, bias=False), (LONG, 8)),
    "long-gru-2layer-bidir": (
        lambda: nn.GRU(8, 16, num_layers=2, bidirectional=True),
        (LONG, 2, 8),
    ),
    "long-gru-batch-first-unbatched": (lambda: nn.GRU(8, 16, batch_first=True), (LONG, 8)),
    "long-gru-batch-first-no-bias": (
        lambda: nn.GRU(8, 16, batch_first=True, bias=False),
        (2, LONG, 8),
    ),
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


@pytest.mark.parametrize("steps", [4, LONG])
def test_initial_state_input_matches_eager(steps):
    torch.manual_seed(0)
    model = nn.LSTM(8, 16, num_layers=2, bidirectional=True).eval()
    x, h0, c0 = torch.randn(steps, 2, 8), torch.randn(4, 2, 16), torch.randn(4, 2, 16)
    got = kiln.compile(model, x, (h0, c0), threads=1, quiet=True)(x, (h0, c0))
    want = model(x, (h0, c0))
    _assert_matches(got, want)


@pytest.mark.parametrize("steps", [4, LONG])
def test_gru_initial_state_input_matches_eager(steps):
    torch.manual_seed(0)
    model = nn.GRU(8, 16, num_layers=2, bidirectional=True, batch_first=True).eval()
    x, h0 = torch.randn(2, steps, 8), torch.randn(4, 2, 16)
    got = kiln.compile(model, x, h0, threads=1, quiet=True)(x, h0)
    _assert_matches(got, model(x, h0))


class BiLSTM(nn.Module):
    def __init__(self):
        super().__init__()
        self.rnn = nn.LSTM(8, 4, batch_first=True, bidirectional=True)

    def forward(self, x):
        return self.rnn(x)[0]


def _expanded(steps: int) -> list:
    """The call_function nodes of BiLSTM over ``steps`` after expand_recurrent, loop
    bodies included."""
    x = torch.randn(2, steps, 8)
    program = decomposed_program(BiLSTM().eval(), (x,), decomposition_table())
    targets = [n.target for n in program.graph.nodes if n.op == "call_function"]
    assert targets.count(torch.ops.aten.lstm.input) == 1
    assert targets.count(torch.ops.aten.sigmoid.default) == 0
    expand_recurrent(program)
    graphs = [m.graph for m in program.graph_module.modules() if hasattr(m, "graph")]
    return [n for g in graphs for n in g.nodes if n.op == "call_function"]


def test_trace_keeps_one_node_and_expanding_keeps_the_source_line():
    """The trace must not unroll the 40 steps (a millisecond per op); the emitted nodes
    (the loop bodies' too) point at the user's line."""
    for steps in (UNROLLED_STEPS, LONG):
        nodes = _expanded(steps)
        assert torch.ops.aten.lstm.input not in [n.target for n in nodes]
        sigmoids = [n for n in nodes if n.target == torch.ops.aten.sigmoid.default]
        assert len(sigmoids) == 2 * 3 * (steps if steps <= UNROLLED_STEPS else 1)
        loops = [n for n in nodes if n.target == torch.ops.higher_order.while_loop]
        assert len(loops) == (0 if steps <= UNROLLED_STEPS else 2)
        assert all("self.rnn(x)" in n.meta["stack_trace"] for n in sigmoids)


def _imported(steps: int) -> str:
    """BiLSTM over ``steps`` as linalg on tensors (torch-mlir's output)."""
    module, _ = import_torch_program(BiLSTM().eval(), (torch.randn(2, steps, 8),))
    return str(module)


def test_long_sequences_compile_to_one_loop_per_direction():
    """The imported IR holds one step per direction inside a loop, whatever the length:
    the same ops for 8 steps as for 64."""
    assert UNROLLED_STEPS < 8
    short, long = _imported(8), _imported(64)
    for ir in (short, long):
        assert ir.count("scf.while") == 2
        assert ir.count("math.tanh") == 2 * 2
    assert short.count("linalg.") == long.count("linalg.")
    assert len(short.splitlines()) == len(long.splitlines())


def test_targets_without_host_loops_unroll():
    """cuda's launch plan cannot loop on the host between kernels: its recurrent layers
    unroll, and compile down to kernel launches (no GPU needed to compile)."""
    model, x = nn.GRU(8, 16, bidirectional=True).eval(), torch.randn(6, 2, 8)
    host_loops = target_entry("cuda").host_loops
    module, *_ = import_model(model, (x,), None, host_loops=host_loops)
    assert "scf.while" not in str(module)
    (plan,) = compile_cuda(module, CudaTarget(chip="sm_80")).plans.values()
    assert any(isinstance(step, Launch) for step in plan.steps)
