"""``torch.compile(model, backend="kiln")`` (kiln.frontend.dynamo) compared with eager PyTorch.

Each test counts the graphs Dynamo hands to ``kiln.compile`` (``compiles``),
so that a test cannot pass on eager execution alone.
"""

from __future__ import annotations

import functools
import subprocess
import sys
import warnings

import pytest
import torch
from torch import nn

import kiln.api

RTOL, ATOL = 1e-5, 1e-6


@pytest.fixture
def compiles(monkeypatch):
    """The keyword arguments of every ``kiln.compile`` call the backend makes; Dynamo reset."""
    torch._dynamo.reset()
    calls = []
    real = kiln.api.compile

    @functools.wraps(real)  # the backend reads kiln.compile's signature for its options
    def counting(model, *inputs, **options):
        calls.append(options)
        return real(model, *inputs, **options)

    monkeypatch.setattr(kiln.api, "compile", counting)
    yield calls
    torch._dynamo.reset()


class SiluAdd(nn.Module):
    def forward(self, x, y):
        return x * torch.sigmoid(x) + y


def mlp() -> nn.Module:
    torch.manual_seed(0)
    return nn.Sequential(nn.Linear(16, 32), nn.ReLU(), nn.Linear(32, 8)).eval()


class GraphBreak(nn.Module):
    """Two graphs: the print between them cannot be traced."""

    def forward(self, x):
        y = torch.tanh(x) * 2
        print("graph break")
        return torch.relu(y - 0.5).sum(dim=1)


class NoLowering(nn.Module):
    """aten.erfinv has no lowering to linalg: kiln.compile raises UnsupportedOpsError."""

    def forward(self, x):
        return torch.erfinv(x) + 1


def test_elementwise_model_matches_eager(compiles):
    model = SiluAdd()
    compiled = torch.compile(model, backend="kiln")
    x, y = torch.randn(4, 64), torch.randn(4, 64)
    torch.testing.assert_close(compiled(x, y), model(x, y), rtol=RTOL, atol=ATOL)
    assert len(compiles) == 1


def test_mlp_matches_eager_and_second_call_reuses_the_compiled_graph(compiles):
    model = mlp()
    compiled = torch.compile(model, backend="kiln")
    with torch.no_grad():
        for seed in (1, 2):
            torch.manual_seed(seed)
            x = torch.randn(8, 16)
            out = compiled(x)
            assert isinstance(out, torch.Tensor) and out.shape == (8, 8)
            torch.testing.assert_close(out, model(x), rtol=RTOL, atol=1e-5)
    assert len(compiles) == 1, "the second call (same shapes) must not compile again"


def test_graph_break_compiles_each_graph(compiles, capsys):
    model = GraphBreak()
    compiled = torch.compile(model, backend="kiln")
    x = torch.randn(4, 32)
    torch.testing.assert_close(compiled(x), model(x), rtol=RTOL, atol=ATOL)
    assert len(compiles) == 2
    assert "graph break" in capsys.readouterr().out


def test_graph_kiln_cannot_compile_runs_eagerly_with_a_warning(compiles):
    model = NoLowering()
    compiled = torch.compile(model, backend="kiln")
    x = torch.rand(16) * 0.5
    with pytest.warns(UserWarning, match=r"(?s)kiln could not compile it: .*aten\.erfinv"):
        out = compiled(x)
    torch.testing.assert_close(out, model(x), rtol=RTOL, atol=ATOL)
    assert len(compiles) == 1


def test_graph_needing_autograd_runs_eagerly_and_keeps_gradients(compiles):
    """kiln compiles inference: with grad mode on and parameters requiring grad, autograd works."""
    model = mlp()
    compiled = torch.compile(model, backend="kiln")
    x = torch.randn(4, 16)
    with pytest.warns(UserWarning, match="needs autograd"):
        compiled(x).sum().backward()
    grads = [p.grad.clone() for p in model.parameters()]
    model.zero_grad()
    model(x).sum().backward()
    for got, want in zip(grads, [p.grad for p in model.parameters()], strict=True):
        torch.testing.assert_close(got, want, rtol=RTOL, atol=ATOL)
    assert compiles == []


def test_symbolic_sizes_run_eagerly_and_static_shapes_compile_per_shape(compiles):
    """Dynamo makes the batch symbolic at the second shape: kiln compiles static shapes only."""
    model = mlp()
    automatic = torch.compile(model, backend="kiln")
    with torch.no_grad():
        automatic(torch.randn(2, 16))
        x = torch.randn(3, 16)
        with pytest.warns(UserWarning, match="sizes are symbolic"):
            out = automatic(x)
        torch.testing.assert_close(out, model(x), rtol=RTOL, atol=1e-5)
    assert len(compiles) == 1

    torch._dynamo.reset()
    static = torch.compile(model, backend="kiln", dynamic=False)
    with torch.no_grad(), warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # no eager fallback
        for batch in (2, 3):
            x = torch.randn(batch, 16)
            torch.testing.assert_close(static(x), model(x), rtol=RTOL, atol=1e-5)
    assert len(compiles) == 3


def test_options_reach_kiln_compile(compiles):
    model = SiluAdd()
    compiled = torch.compile(model, backend="kiln", options={"threads": 2})
    x, y = torch.randn(4, 64), torch.randn(4, 64)
    torch.testing.assert_close(compiled(x, y), model(x, y), rtol=RTOL, atol=ATOL)
    assert compiles == [{"threads": 2}]


@pytest.mark.parametrize(
    ("kwargs", "message"),
    [
        ({"options": {"treads": 2}}, r"has no option 'treads' \(options: target, threads,"),
        ({"mode": "max-autotune"}, "has no modes"),
    ],
)
def test_unknown_options_are_errors(compiles, kwargs, message):
    compiled = torch.compile(SiluAdd(), backend="kiln", **kwargs)
    with pytest.raises(Exception, match=message):
        compiled(torch.randn(4), torch.randn(4))
    assert compiles == []


def test_interpreter_exit_with_compiled_graphs_alive_is_clean():
    """Dynamo keeps a graph break's resumed graph (with its kiln engine) in torch's own module
    state, freed at exit after kiln's modules: destroying the engine then must not fail."""
    code = (
        "import torch\n"
        "import kiln\n"
        "class Break(torch.nn.Module):\n"
        "    def forward(self, x):\n"
        "        y = torch.sin(x) + 1\n"
        "        print('graph break')\n"
        "        return torch.relu(y) * 2\n"
        "f = torch.compile(Break(), backend='kiln')\n"
        "print(f(torch.randn(8)).shape)\n"
    )
    done = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, timeout=300)
    assert done.returncode == 0, done.stderr
    assert "torch.Size([8])" in done.stdout
    assert "Exception ignored" not in done.stderr, done.stderr
