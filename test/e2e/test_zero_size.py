"""Zero-size dimensions, static and dynamic, give eager PyTorch's answer.

A matmul with M, N or K of 0 crashed the compiler (its schedules tiled zero
ranges), a 0x0 sum crashed the call (a zero-size memref cannot be a bare
pointer, so the function took descriptors the runtime did not pass), and
``nn.Linear`` on a zero-length sequence killed torch-mlir's import with
SIGFPE. Now zero-element tensors are folded away before torch-mlir lowers
the model (``kiln.frontend.zero_size``) and again before kiln tiles
(``kiln-fold-zero-size``). Each case is an op and input shapes with a zero
somewhere; the dynamic cases compile with a non-zero size for the zero
dimensions (``Dim(min=0)``) and are called with both.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F
from caller_inputs import call_keeping_inputs
from torch.export import Dim

import kiln

RTOL, ATOL = 1e-5, 1e-5
IDS = "ids"  # an int64 index input instead of a float one


class Fn(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, *xs):
        return self.fn(*xs)


def _cat0(x, y):
    return torch.cat([x, y], 0)


class SelfAttention(nn.Module):
    """nn.MultiheadAttention's reshapes divide by the sequence length when sizing a view."""

    def __init__(self):
        super().__init__()
        self.attention = nn.MultiheadAttention(8, 2, batch_first=True)

    def forward(self, x):
        return self.attention(x, x, x, need_weights=False)[0]


def _sdpa(q, k, v):
    return F.scaled_dot_product_attention(q, k, v)


# name -> (model, input shapes per variant); shapes of IDS inputs are int64 indices.
OPS = {
    "elementwise": (
        lambda: Fn(lambda x: torch.relu(x * 2 + 1).exp()),
        [[(0, 8)], [(8, 0)], [(2, 0, 3)]],
    ),
    "broadcast_add": (lambda: Fn(torch.add), [[(0, 8), (1, 8)], [(8, 0), (8, 1)]]),
    "sum": (lambda: Fn(torch.sum), [[(0, 8)], [(0, 0)]]),
    "sum_dim0": (lambda: Fn(lambda x: x.sum(0)), [[(0, 8)], [(8, 0)]]),
    "mean_dim1": (lambda: Fn(lambda x: x.mean(1)), [[(0, 8)], [(8, 0)]]),
    "softmax": (lambda: Fn(lambda x: F.softmax(x, -1)), [[(0, 8)], [(8, 0)]]),
    "layer_norm": (lambda: nn.LayerNorm(8), [[(0, 8)], [(3, 0, 8)]]),
    "matmul": (
        lambda: Fn(torch.matmul),
        [[(0, 8), (8, 16)], [(8, 0), (0, 16)], [(8, 8), (8, 0)], [(0, 0), (0, 0)]],
    ),
    "bmm": (lambda: Fn(torch.bmm), [[(0, 4, 8), (0, 8, 4)], [(2, 4, 0), (2, 0, 4)]]),
    "linear": (lambda: nn.Linear(8, 16), [[(0, 8)], [(2, 0, 8)]]),
    "linear_no_inputs": (lambda: nn.Linear(0, 16), [[(4, 0)]]),
    "linear_no_outputs": (lambda: nn.Linear(8, 0), [[(4, 8)]]),
    "mlp": (lambda: nn.Sequential(nn.Linear(8, 32), nn.ReLU(), nn.Linear(32, 4)), [[(0, 8)]]),
    "conv2d": (lambda: nn.Conv2d(3, 4, 3, padding=1), [[(0, 3, 8, 8)]]),
    "conv2d_no_channels": (lambda: nn.Conv2d(0, 4, 3, padding=1), [[(2, 0, 8, 8)]]),
    "max_pool": (lambda: nn.MaxPool2d(2), [[(0, 3, 8, 8)]]),
    "cat": (lambda: Fn(_cat0), [[(0, 8), (4, 8)], [(4, 8), (0, 8)]]),
    "empty_slice": (lambda: Fn(lambda x: x[:, 2:2] + 1), [[(4, 8)]]),
    "transpose": (lambda: Fn(lambda x: x.t().contiguous() * 1), [[(0, 8)]]),
    "self_attention": (SelfAttention, [[(2, 0, 8)]]),
    "cumsum": (lambda: Fn(lambda x: torch.cumsum(x, 1)), [[(8, 0)]]),
    "index_select": (lambda: Fn(lambda x, i: torch.index_select(x, 0, i)), [[(4, 8), (IDS, 0)]]),
    "attention_no_keys": (lambda: Fn(_sdpa), [[(1, 2, 4, 8), (1, 2, 0, 8), (1, 2, 0, 8)]]),
    "attention_no_queries": (lambda: Fn(_sdpa), [[(1, 2, 0, 8), (1, 2, 4, 8), (1, 2, 4, 8)]]),
}

# Cases compiled once for all sizes of their zero dimensions (a subset: compiling is slow).
DYNAMIC = (
    "elementwise",
    "sum",
    "sum_dim0",
    "mean_dim1",
    "softmax",
    "layer_norm",
    "matmul",
    "bmm",
    "linear",
    "mlp",
    "cat",
    "cumsum",
    "index_select",
    "attention_no_keys",
    "self_attention",
)


def _params(ops):
    return [
        pytest.param(name, shapes, id=f"{name}-{'-'.join(_shape_id(s) for s in shapes)}")
        for name in ops
        for shapes in OPS[name][1]
    ]


def _shape_id(shape) -> str:
    return "x".join(str(d) for d in shape)


def _dims(shape) -> tuple[int, ...]:
    return shape[1:] if shape[0] == IDS else shape


def _make(shape, zero_as: int = 0) -> torch.Tensor:
    sizes = [zero_as if d == 0 else d for d in _dims(shape)]
    if shape[0] == IDS:
        return torch.zeros(*sizes, dtype=torch.int64)
    return torch.randn(*sizes)


def _build(name):
    torch.manual_seed(0)
    return OPS[name][0]().eval()


def _eager(model, inputs):
    with torch.no_grad():
        return model(*(x.clone() for x in inputs))


@pytest.mark.filterwarnings("ignore:Initializing zero-element tensors is a no-op")
@pytest.mark.parametrize(("name", "shapes"), _params(OPS))
def test_static_zero_size_matches_eager(name, shapes):
    model = _build(name)
    inputs = tuple(_make(s) for s in shapes)
    compiled = kiln.compile(model, *inputs, threads=1)
    out = call_keeping_inputs(compiled, *inputs)
    torch.testing.assert_close(out, _eager(model, inputs), rtol=RTOL, atol=ATOL, equal_nan=True)


@pytest.mark.parametrize(("name", "shapes"), _params(DYNAMIC))
def test_dynamic_zero_size_matches_eager(name, shapes):
    """Compiled with 3 where the shapes say 0 (a dynamic dimension), called with 0 and 3."""
    model = _build(name)
    size = Dim("size", min=0, max=64)
    dynamic = tuple(
        {d: size for d, s in enumerate(_dims(shape)) if s == 0} or None for shape in shapes
    )
    example = tuple(_make(s, zero_as=3) for s in shapes)
    spec = (dynamic,) if isinstance(model, Fn) else dynamic  # Fn.forward(*xs): one tuple
    compiled = kiln.compile(model, *example, threads=1, dynamic_shapes=spec)
    for zero_as in (0, 3):
        inputs = tuple(_make(s, zero_as) for s in shapes)
        out = call_keeping_inputs(compiled, *inputs)
        torch.testing.assert_close(out, _eager(model, inputs), rtol=RTOL, atol=ATOL, equal_nan=True)
