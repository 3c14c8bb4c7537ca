"""Random ops compile to draws with eager's distribution, range and dtype.

kiln's generator is not eager's, so values differ: each case draws N = 200,000
values in one call and checks what eager guarantees, against eager's own draw of
the same op: the dtype, the range (``rand`` in [0, 1): never 1.0, in bfloat16
too), integer ops give integers and every value of their range, and the mean and
standard deviation agree with eager's within 6 standard errors of the mean
(sigma / sqrt(N), and 6 relative standard errors for sigma itself: a false alarm
well under one in a million per check). Regressions these pin
(``kiln/frontend/random_decompositions.py``): ``randint(-5, 5)`` never gave -5,
``randint(3, dtype=float32)`` gave fractions, bfloat16 ``rand`` gave 1.0 in 0.2%
of draws, and ``randint_like``/``normal(tensor, float)``/``randperm``/
``log_normal_``/``cauchy_``/``geometric_`` did not compile.
"""

from __future__ import annotations

import math

import pytest
import torch

import kiln
from kiln.frontend.random_decompositions import largest_below

N = 200_000


class Draw(torch.nn.Module):
    def __init__(self, draw):
        super().__init__()
        self.draw = draw

    def forward(self, x):
        return self.draw(x)


# name: (draw from a float32 tensor x of N zeros, the closed range values must lie in)
CASES = {
    "rand": (lambda x: torch.rand(N), (0.0, largest_below(1.0, torch.float32))),
    "rand_bf16": (
        lambda x: torch.rand(N, dtype=torch.bfloat16),
        (0.0, largest_below(1.0, torch.bfloat16)),
    ),
    "rand_f16": (
        lambda x: torch.rand(N, dtype=torch.float16),
        (0.0, largest_below(1.0, torch.float16)),
    ),
    "rand_like_bf16": (
        lambda x: torch.rand_like(x, dtype=torch.bfloat16),
        (0.0, largest_below(1.0, torch.bfloat16)),
    ),
    "uniform_": (lambda x: torch.empty(N).uniform_(-2, 3), (-2.0, 3.0)),
    "randn": (lambda x: torch.randn(N), None),
    "normal_tensor_mean": (lambda x: torch.normal(x + 1.0, 2.0), None),
    "normal_tensor_std": (lambda x: torch.normal(-1.0, x + 0.5), None),
    "randint_negative_low": (lambda x: torch.randint(-5, 5, (N,)), (-5, 4)),
    "randint_float_dtype": (lambda x: torch.randint(3, (N,), dtype=torch.float32), (0, 2)),
    "randint_int32": (lambda x: torch.randint(10, 13, (N,), dtype=torch.int32), (10, 12)),
    "randint_like": (lambda x: torch.randint_like(x, 4), (0, 3)),
    "randint_like_low": (lambda x: torch.randint_like(x, -3, 2), (-3, 1)),
    "bernoulli": (lambda x: torch.bernoulli(x + 0.3), (0, 1)),
    "exponential_": (lambda x: torch.empty(N).exponential_(2.0), (0.0, math.inf)),
    "log_normal_": (lambda x: torch.empty(N).log_normal_(0.0, 0.5), (0.0, math.inf)),
    "cauchy_clamped": (lambda x: torch.empty(N).cauchy_(1.0, 2.0).clamp(-20, 20), (-20, 20)),
    "geometric_": (lambda x: torch.empty(N).geometric_(0.3), (1, math.inf)),
}

INTEGER_VALUED = {"randint", "bernoulli", "geometric"}


def _stats(t: torch.Tensor) -> tuple[float, float]:
    t = t.double()
    return t.mean().item(), t.std().item()


@pytest.mark.parametrize("name", sorted(CASES))
def test_draws_match_eager_in_distribution(name):
    draw, bounds = CASES[name]
    x = torch.zeros(N)
    got = kiln.compile(Draw(draw), x, threads=1, quiet=True)(x)
    torch.manual_seed(0)
    want = draw(x)
    assert got.dtype == want.dtype and got.shape == want.shape
    if bounds is not None:
        low, high = bounds
        assert got.min().item() >= low and got.max().item() <= high, (got.min(), got.max())
    if any(name.startswith(kind) for kind in INTEGER_VALUED):
        assert torch.equal(got, got.floor()), "an integer-valued op returned fractions"
        if name.startswith("randint"):
            assert got.unique().tolist() == list(range(int(low), int(high) + 1))
    (mean, std), (eager_mean, eager_std) = _stats(got), _stats(want)
    error = eager_std / math.sqrt(N)
    assert abs(mean - eager_mean) <= 6 * math.sqrt(2) * error, (mean, eager_mean)
    assert abs(std - eager_std) <= 6 * math.sqrt(2) * eager_std / math.sqrt(2 * N), (std, eager_std)


def test_randperm_is_a_permutation():
    compiled = kiln.compile(Draw(lambda x: torch.randperm(1000)), torch.zeros(1), quiet=True)
    first, second = compiled(torch.zeros(1)), compiled(torch.zeros(1))
    assert first.dtype == torch.int64
    assert torch.equal(first.sort().values, torch.arange(1000))
    assert not torch.equal(first, second), "two calls gave the same permutation"


def test_each_call_draws_anew():
    compiled = kiln.compile(Draw(lambda x: torch.rand(64) + x), torch.zeros(64), quiet=True)
    assert not torch.equal(compiled(torch.zeros(64)), compiled(torch.zeros(64)))


@pytest.mark.parametrize(
    "value, dtype, want",
    [
        (1.0, torch.float32, 1.0 - 2.0**-24),
        (1.0, torch.float16, 1.0 - 2.0**-11),
        (1.0, torch.bfloat16, 1.0 - 2.0**-8),
        (3.0, torch.float32, 3.0 - 2.0**-22),
        (-2.0, torch.bfloat16, -2.0 - 2.0**-6),
        (0.1, torch.bfloat16, 0.099609375),  # 0.1 is not a bfloat16: cut, already below
        (-0.1, torch.bfloat16, -0.10009765625),  # cut toward zero is above: one step down
        (0.0, torch.float32, -(2.0**-149)),
    ],
)
def test_largest_below(value, dtype, want):
    got = largest_below(value, dtype)
    assert got == want
    assert torch.tensor(got, dtype=dtype).item() == got, "not a number of the dtype"
