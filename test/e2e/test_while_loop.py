"""``torch.while_loop`` (kiln-while-like-loops, kiln-while-carried-buffers): the loop tests
its condition every iteration and carries its tensors across iterations, as eager."""

from __future__ import annotations

import pytest
import torch
from torch._higher_order_ops.while_loop import while_loop

import kiln


class Counter(torch.nn.Module):
    """A counter from a literal 0 (the first test folds to true) and a tensor updated each
    iteration from the previous one."""

    def __init__(self, limit: int):
        super().__init__()
        self.limit = limit

    def forward(self, x):
        def cond(i, y):
            return i < self.limit

        def body(i, y):
            return i + 1, y * 2 + i

        return while_loop(cond, body, (torch.tensor(0), x))


class UntilLarge(torch.nn.Module):
    """A condition on the carried tensor's values: the trip count depends on the input."""

    def forward(self, x):
        def cond(y, n):
            return y.abs().sum() < 100.0

        def body(y, n):
            return y * 1.5 + 0.25, n + 1

        return while_loop(cond, body, (x, torch.zeros((), dtype=torch.int64)))


def _check(model, x):
    got, want = kiln.compile(model, x, quiet=True)(x), model(x)
    for g, w in zip(got, want, strict=True):
        torch.testing.assert_close(g, w, rtol=1e-6, atol=1e-6)


@pytest.mark.parametrize("limit", [3, 1])
def test_counter_and_tensor(limit):
    _check(Counter(limit), torch.randn(7, 9, generator=torch.Generator().manual_seed(0)))


def test_condition_on_carried_values():
    model = UntilLarge()
    _check(model, torch.randn(4, 5, generator=torch.Generator().manual_seed(1)))
    compiled = kiln.compile(model, torch.ones(4, 5), quiet=True)
    large = torch.full((4, 5), 10.0)  # the condition is false at once: no iteration
    for g, w in zip(compiled(large), model(large), strict=True):
        torch.testing.assert_close(g, w, rtol=0, atol=0)
