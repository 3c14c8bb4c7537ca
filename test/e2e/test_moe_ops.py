"""Mixture-of-experts ops (kiln/frontend/moe_decompositions.py): ``torch.histc`` and
transformers' ``grouped_mm_fallback`` custom op (a grouped matmul over rows sorted by
expert) compile and match eager. histc: exact (counts); grouped matmul: rtol/atol 1e-5."""

from __future__ import annotations

import pytest
import torch
import transformers.integrations.moe  # noqa: F401 - registers torch.ops.transformers

import kiln


@pytest.mark.parametrize(
    "bins, low, high",
    [(4, 0, 3), (7, 0, 0), (5, -1.0, 1.0), (3, 2, 2)],
    ids=["expert-ids", "data-range", "drops-outside", "equal-bounds-data-range"],
)
def test_histc_matches_eager(bins, low, high):
    def histogram(x):
        return torch.histc(x, bins=bins, min=low, max=high)

    torch.manual_seed(0)
    x = torch.cat([torch.randint(0, 4, (20,)).float(), torch.randn(20)])
    torch.testing.assert_close(
        kiln.compile(histogram, x, quiet=True)(x), histogram(x), rtol=0, atol=0
    )


def test_histc_of_constant_data_widens_the_range():
    def histogram(x):
        return torch.histc(x, bins=3)

    x = torch.full((6,), 2.0)
    torch.testing.assert_close(
        kiln.compile(histogram, x, quiet=True)(x), histogram(x), rtol=0, atol=0
    )


def experts(rows, weight, expert_ids):
    """Rows sorted by expert, counted with histc, multiplied by their expert's weights."""
    order = expert_ids.argsort()
    counts = torch.histc(expert_ids.float(), bins=weight.shape[0], min=0, max=weight.shape[0] - 1)
    offsets = counts.long().cumsum(0)
    out = torch.ops.transformers.grouped_mm_fallback(rows[order], weight, offsets)
    return out.index_select(0, order.argsort())  # back in row order: ties may sort either way


def test_grouped_mm_fallback_matches_eager():
    torch.manual_seed(0)
    rows, weight = torch.randn(12, 8), torch.randn(4, 8, 6)
    expert_ids = torch.tensor([2, 0, 2, 3, 0, 2, 2, 3, 0, 3, 2, 0])  # expert 1 gets no row
    compiled = kiln.compile(experts, rows, weight, expert_ids, quiet=True)
    other_ids = torch.randint(0, 4, (12,))  # other counts at run time, same program
    for ids in (expert_ids, other_ids):
        want = experts(rows, weight, ids)
        torch.testing.assert_close(compiled(rows, weight, ids), want, rtol=1e-5, atol=1e-5)
