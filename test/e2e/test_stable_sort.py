"""``torch.sort(stable=True)`` / ``argsort(stable=True)`` (MoE routing sorts tokens by expert
this way) compile and give eager's order, ties included: exact."""

from __future__ import annotations

import pytest
import torch

import kiln


@pytest.mark.parametrize("descending", [False, True])
def test_stable_argsort_keeps_the_order_of_ties(descending):
    def order(x):
        return x.argsort(stable=True, descending=descending)

    x = torch.tensor([2, 0, 2, 3, 0, 2, 1, 3, 0, 3, 2, 0])  # every value tied
    torch.testing.assert_close(kiln.compile(order, x, quiet=True)(x), order(x), rtol=0, atol=0)


def test_stable_sort_values_and_indices():
    def sort(x):
        return torch.sort(x, dim=1, stable=True)

    x = torch.tensor([[3.0, 1.0, 3.0, 2.0, 1.0], [0.5, 0.5, -1.0, 0.5, 2.0]])
    got, want = kiln.compile(sort, x, quiet=True)(x), sort(x)
    for g, w in zip(got, want, strict=True):
        torch.testing.assert_close(g, w, rtol=0, atol=0)
