"""Property tests: kiln matches eager PyTorch over shapes hypothesis draws.

matmul (M, N, K in 1..70), conv2d (channels, size, kernel, stride, padding),
reductions (shape, dim, keepdim) and elementwise broadcasting (two
mutually broadcastable shapes). Each example is compiled by kiln. The
settings are derandomized (CI sees the same examples every run) and small
(each example is a compilation).
"""

from __future__ import annotations

import torch
import torch.nn as nn
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import mutually_broadcastable_shapes
from opsuite.registry import Fn, Inputs

import kiln

SETTINGS = dict(deadline=None, derandomize=True, database=None)
THREADS = st.sampled_from([1, 2])


def assert_matches_eager(model: nn.Module, inputs: tuple, threads: int, rtol: float, atol: float):
    """Compiles ``model`` for ``inputs`` and compares its outputs with eager PyTorch."""
    model = model.eval()
    with torch.no_grad():
        expected = model(*inputs)
    compiled = kiln.compile(model, *inputs, threads=threads)
    torch.testing.assert_close(compiled(*inputs), expected, rtol=rtol, atol=atol)


@settings(max_examples=25, **SETTINGS)
@given(
    m=st.integers(1, 70),
    n=st.integers(1, 70),
    k=st.integers(1, 70),
    transpose_rhs=st.booleans(),
    threads=THREADS,
)
def test_matmul(m, n, k, transpose_rhs, threads):
    t = Inputs(m * 10_000 + n * 100 + k)
    if transpose_rhs:  # x @ w.T, the layout of nn.Linear
        inputs, model = (t.randn(m, k), t.randn(n, k)), Fn(lambda a, b: a @ b.t())
    else:
        inputs, model = (t.randn(m, k), t.randn(k, n)), Fn(torch.mm)
    assert_matches_eager(model, inputs, threads, rtol=1e-4, atol=1e-4)


@st.composite
def conv2d_configs(draw):
    """Conv2d arguments and an input size for which the output is at least 1x1."""
    padding = draw(st.integers(0, 2))
    kernel = draw(st.integers(1, 5))
    size = draw(st.integers(max(1, kernel - 2 * padding), 14))
    return dict(
        in_channels=draw(st.integers(1, 8)),
        out_channels=draw(st.integers(1, 8)),
        kernel_size=kernel,
        stride=draw(st.integers(1, 3)),
        padding=padding,
        bias=draw(st.booleans()),
    ), (draw(st.integers(1, 2)), size, draw(st.integers(max(1, kernel - 2 * padding), 14)))


@settings(max_examples=20, **SETTINGS)
@given(config=conv2d_configs(), threads=THREADS)
def test_conv2d(config, threads):
    kwargs, (batch, height, width) = config
    torch.manual_seed(height * 100 + width)
    model = nn.Conv2d(**kwargs)
    x = Inputs(kwargs["in_channels"]).randn(batch, kwargs["in_channels"], height, width)
    assert_matches_eager(model, (x,), threads, rtol=1e-4, atol=1e-4)


REDUCTIONS = {
    "sum": lambda x, dim, keepdim: x.sum(dim, keepdim=keepdim),
    "mean": lambda x, dim, keepdim: x.mean(dim, keepdim=keepdim),
    "amax": lambda x, dim, keepdim: x.amax(dim, keepdim=keepdim),
    "amin": lambda x, dim, keepdim: x.amin(dim, keepdim=keepdim),
    "argmax": lambda x, dim, keepdim: x.argmax(dim, keepdim=keepdim),
    "var": lambda x, dim, keepdim: x.var(dim, keepdim=keepdim, correction=0),
    "logsumexp": lambda x, dim, keepdim: x.logsumexp(dim, keepdim=keepdim),
}


@st.composite
def reduction_cases(draw):
    """(op name, shape, dim, keepdim): dim is one axis, possibly negative."""
    shape = tuple(draw(st.lists(st.integers(1, 9), min_size=1, max_size=4)))
    dim = draw(st.integers(-len(shape), len(shape) - 1))
    return draw(st.sampled_from(sorted(REDUCTIONS))), shape, dim, draw(st.booleans())


@settings(max_examples=25, **SETTINGS)
@given(case=reduction_cases(), threads=THREADS)
def test_reduction(case, threads):
    op, shape, dim, keepdim = case
    reduce = REDUCTIONS[op]
    x = Inputs(len(shape) * 1000 + sum(shape)).randn(*shape)
    model = Fn(lambda x: reduce(x, dim, keepdim))
    assert_matches_eager(model, (x,), threads, rtol=1e-4, atol=1e-5)


BINARY = {
    "add": torch.add,
    "sub": torch.sub,
    "mul": torch.mul,
    "maximum": torch.maximum,
    "add_then_tanh": lambda a, b: torch.tanh(a + b),
}


@settings(max_examples=25, **SETTINGS)
@given(
    shapes=mutually_broadcastable_shapes(num_shapes=2, min_dims=0, max_dims=4, max_side=6),
    op=st.sampled_from(sorted(BINARY)),
    threads=THREADS,
)
def test_broadcasting(shapes, op, threads):
    a_shape, b_shape = shapes.input_shapes
    t = Inputs(len(a_shape) * 10 + len(b_shape))
    inputs = (t.randn(*a_shape), t.randn(*b_shape))
    assert_matches_eager(Fn(BINARY[op]), inputs, threads, rtol=1e-5, atol=1e-6)
