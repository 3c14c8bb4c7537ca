"""Indexing by boolean masks (``x[mask] = v``, ``x[mask] = y[mask]``, ``y[mask]``) matches
eager PyTorch for every count of True positions, none and all included.

Each model is compiled once, from a mask with some True positions, and called with
masks of other counts: the count is data, not part of the compiled shape. Issue 12:
these failed to compile (a scatter of data-dependent positions), ran out of memory
in torch-mlir's lowering (``y[mask]``), or wrote a garbage position for an empty mask.
"""

from __future__ import annotations

import pytest
import torch
import torch.nn as nn

import kiln


class SetScalar(nn.Module):
    def forward(self, x, mask):
        x = x.clone()
        x[mask] = 2.5
        return x


class SetFromOther(nn.Module):
    def forward(self, x, mask, y):
        x = x.clone()
        x[mask] = y[mask]
        return x


class SetRows(nn.Module):
    def forward(self, x, rows, v):
        x = x.clone()
        x[rows] = v
        return x


class SetColumns(nn.Module):
    def forward(self, x, columns):
        x = x.clone()
        x[:, columns] = 0.0
        return x


class AddScalar(nn.Module):
    def forward(self, x, mask, v):
        x = x.clone()
        x[mask] += v
        return x


class SetPointsByIndexAndMask(nn.Module):
    """x[idx, mask] = v: row idx[i] at the i-th True column (a count of 1 broadcasts)."""

    def forward(self, x, idx, mask, v):
        return torch.ops.aten.index_put(x, (idx, mask), v)


class Select(nn.Module):
    def forward(self, y, mask):
        return y[mask]


class SelectSum(nn.Module):
    def forward(self, y, mask):
        return y[mask].sum(0)


def _mask_4x5(count: int) -> torch.Tensor:
    mask = torch.zeros(20, dtype=torch.bool)
    mask[torch.randperm(20, generator=torch.Generator().manual_seed(count))[:count]] = True
    return mask.reshape(4, 5)


def _columns(count: int) -> torch.Tensor:
    return torch.tensor([True, False, True, True, False]) if count == 3 else torch.arange(5) == 1


def _rows(count: int) -> torch.Tensor:
    return torch.arange(4) < count


# name -> (model, inputs from a mask's count, the counts to call with); the first
# count is the one compiled from.
CASES = {
    "set_scalar": (SetScalar, lambda n: (torch.randn(4, 5), _mask_4x5(n)), (7, 0, 20, 1)),
    "set_from_other": (
        SetFromOther,
        lambda n: (torch.randn(4, 5), _mask_4x5(n), torch.randn(4, 5)),
        (7, 0, 20, 1),
    ),
    "set_rows": (SetRows, lambda n: (torch.randn(4, 5), _rows(n), torch.randn(5)), (2, 0, 4)),
    "set_columns": (SetColumns, lambda n: (torch.randn(3, 4, 5), _rows(n)), (2, 0, 4)),
    "add_scalar": (
        AddScalar,
        lambda n: (torch.randn(4, 5), _mask_4x5(n), torch.tensor(1.5)),
        (7, 0, 20),
    ),
    # torch-mlir's scatter of 3 values at a dynamic count of index rows: invalid after
    # canonicalization until kiln-match-scatter-sizes.
    "set_points_by_index_and_mask": (
        SetPointsByIndexAndMask,
        lambda n: (torch.randn(5, 5), torch.tensor([0, 2, 4]), _columns(n), torch.randn(3)),
        (3, 1),
    ),
    "select": (Select, lambda n: (torch.randn(4, 5), _mask_4x5(n)), (7, 0, 20, 1)),
    "select_sum": (SelectSum, lambda n: (torch.randn(4, 3, 5), _rows(n)), (2, 0, 4)),
}


@pytest.fixture(scope="module", params=sorted(CASES))
def case(request):
    """(model, make inputs, counts, the model compiled from the first count's inputs)."""
    torch.manual_seed(0)
    make_model, make_inputs, counts = CASES[request.param]
    model = make_model().eval()
    compiled = kiln.compile(model, *make_inputs(counts[0]), threads=1)
    return model, make_inputs, counts, compiled


def test_matches_eager_for_every_count(case):
    model, make_inputs, counts, compiled = case
    for count in counts:
        inputs = make_inputs(count)
        before = [x.clone() for x in inputs]
        expected = model(*[x.clone() for x in inputs])
        actual = compiled(*inputs)
        assert actual.shape == expected.shape, f"{count} True positions"
        torch.testing.assert_close(actual, expected, rtol=0, atol=0, msg=f"count {count}")
        for x, x0 in zip(inputs, before, strict=True):
            assert torch.equal(x, x0), "an input was written"
