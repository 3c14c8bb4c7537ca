"""kiln's frontend traces a model once (torch.export straight to ATen IR with kiln's
decompositions), giving the program ``export`` + ``run_decompositions`` gives in two traces;
models only the two-step path handles still take it (issue 12, compile time)."""

from __future__ import annotations

import collections

import numpy as np
import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import kiln
from kiln.frontend import export
from kiln.frontend.decompositions import decomposition_table
from kiln.frontend.export import decomposed_program


class ConvBlock(nn.Module):
    """Conv + BatchNorm (kiln's own decomposition) + GELU (also kiln's)."""

    def __init__(self):
        super().__init__()
        self.conv = nn.Conv2d(3, 8, 3, padding=1)
        self.norm = nn.BatchNorm2d(8)

    def forward(self, x):
        return F.gelu(self.norm(self.conv(x)))


class Attention(nn.Module):
    """Linear (a CompositeImplicitAutograd op), softmax, a non-persistent buffer, a constant
    made in ``forward`` (``torch.tensor``: lifted by torch.export), hypot and isfinite."""

    def __init__(self, dim: int = 16):
        super().__init__()
        self.qkv = nn.Linear(dim, 3 * dim)
        self.register_buffer("scale", torch.tensor(dim**-0.5), persistent=False)

    def forward(self, x):
        q, k, v = self.qkv(x).chunk(3, dim=-1)
        attn = (q @ k.transpose(-1, -2) * self.scale).softmax(-1)
        bias = torch.tensor([0.5, -0.25])
        out = attn @ v + torch.hypot(q, k) + bias.sum()
        return torch.where(torch.isfinite(out), out, torch.zeros_like(out))


class Counter(nn.Module):
    """Mutates a buffer in place: a ``BUFFER_MUTATION`` output."""

    def __init__(self):
        super().__init__()
        self.register_buffer("calls", torch.zeros(4))

    def forward(self, x):
        self.calls.add_(1.0)
        return x * self.calls


CASES = {
    "conv_block": (ConvBlock, lambda: (torch.randn(1, 3, 8, 8),)),
    "attention": (Attention, lambda: (torch.randn(2, 5, 16),)),
    "counter": (Counter, lambda: (torch.randn(3, 4),)),
}


def _ops(program) -> collections.Counter:
    return collections.Counter(
        str(n.target) for n in program.graph.nodes if n.op == "call_function"
    )


def _outputs(program) -> list[tuple[str, str | None]]:
    return [(s.kind.name, s.target) for s in program.graph_signature.output_specs]


def _no_second_trace(monkeypatch):
    def second_trace(self, *args, **kwargs):
        raise AssertionError("run_decompositions called: the model was traced twice")

    monkeypatch.setattr(torch.export.ExportedProgram, "run_decompositions", second_trace)


@pytest.mark.parametrize("name", sorted(CASES))
def test_one_trace_gives_the_two_step_program(name, monkeypatch):
    """Same ops and outputs as export + run_decompositions, without run_decompositions."""
    make, inputs = CASES[name]
    torch.manual_seed(0)
    model, args = make().eval(), inputs()
    table = decomposition_table()
    two_step = torch.export.export(model, args, strict=False).run_decompositions(table)
    _no_second_trace(monkeypatch)
    once = decomposed_program(model, args, table)
    assert _ops(once) == _ops(two_step)
    assert _outputs(once) == _outputs(two_step)
    assert "aten.gelu.default" not in _ops(once)  # kiln's decompositions were applied
    assert "aten.hypot.default" not in _ops(once)


def test_one_trace_compiles_like_eager(monkeypatch):
    """kiln.compile on the single trace's program (lifted constant, non-persistent buffer)."""
    torch.manual_seed(0)
    model, (x,) = Attention().eval(), (torch.randn(2, 5, 16),)
    _no_second_trace(monkeypatch)
    monkeypatch.setenv("KILN_CACHE", "0")  # a cache hit would skip the frontend
    fast = kiln.compile(model, x, quiet=True)
    np.testing.assert_allclose(fast(x).numpy(), model(x).detach().numpy(), rtol=1e-5, atol=1e-5)


class NeedsStrict(nn.Module):
    """``int(t)``: non-strict tracing stops (GuardOnDataDependentSymNode); strict records it."""

    def forward(self, x, n):
        return F.gelu(x) * int(n)


def test_two_step_path_when_one_trace_fails(monkeypatch):
    """A model only strict export traces goes the two-step way, decomposed all the same."""
    calls = []
    original = export._export_decomposed

    def counted(*args, **kwargs):
        calls.append(True)
        return original(*args, **kwargs)

    monkeypatch.setattr(export, "_export_decomposed", counted)
    program = decomposed_program(
        NeedsStrict(), (torch.randn(4), torch.tensor(3)), decomposition_table()
    )
    assert calls == [True]
    assert "aten.gelu.default" not in _ops(program)
    assert "aten.erf.default" in _ops(program)


class PythonFlags(nn.Module):
    """Branches on the identity and type of Python inputs, as Hugging Face's flags do
    (``output_hidden_states is True``, ``return_dict is False``)."""

    def forward(self, x, flag, count, options):
        y = x * 2 if flag is True else x - 1
        if type(count) is int:
            y = y + count
        if options["negate"] is False:
            y = y * 10
        return y


def test_python_bool_and_int_inputs_reach_forward_as_given():
    # The single trace passed True as 1 and 3 as a SymInt: every branch above went the
    # other way, silently. Such models take the two-step path.
    x = torch.randn(5)
    inputs = (x, True, 3, {"negate": False})
    compiled = kiln.compile(PythonFlags(), *inputs, threads=1)
    torch.testing.assert_close(compiled(*inputs), PythonFlags()(*inputs), rtol=0, atol=0)
