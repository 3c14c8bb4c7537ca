"""Constructs of real models that kiln's PyTorch frontend must import (issue 12), each in a
small module with the same construct, compared with eager PyTorch at an explicit tolerance;
and in-place mutation of inputs and buffers, which must follow eager (issue 13)."""

from __future__ import annotations

import inspect
import re

import pytest
import torch
import torch.nn as nn
import torch.nn.functional as F

import kiln


def _line_of(obj, needle: str) -> int:
    """The line of this file where ``needle`` appears (once) in the source of ``obj``."""
    lines, first = inspect.getsourcelines(obj)
    hits = [first + i for i, line in enumerate(lines) if needle in line]
    assert len(hits) == 1, f"{needle!r} should appear once in {obj}"
    return hits[0]


def _assert_located(unsupported, obj, needle: str) -> None:
    """The reported location is this file, at the line of ``needle``."""
    match = re.fullmatch(r"(.+):(\d+):(\d+)", unsupported.location)
    assert match, unsupported
    assert (match.group(1), int(match.group(2))) == (__file__, _line_of(obj, needle)), unsupported


# --- adaptive_max_pool2d ----------------------------------------------------------


class AdaptiveMax(nn.Module):
    def __init__(self, size, return_indices: bool = False):
        super().__init__()
        self.size, self.return_indices = size, return_indices

    def forward(self, x):
        # ReLU first: windows of zeros test which of several equal maxima is picked.
        return F.adaptive_max_pool2d(x.relu(), self.size, return_indices=self.return_indices)


@pytest.mark.parametrize(
    "shape, size",
    [((1, 4, 13, 17), 5), ((3, 13, 17), (3, 5)), ((2, 3, 8, 8), 2), ((1, 2, 7, 9), (7, 2))],
    ids=["uneven", "unbatched", "even", "mixed"],
)
@pytest.mark.parametrize("return_indices", [False, True], ids=["values", "indices"])
def test_adaptive_max_pool2d(shape, size, return_indices):
    torch.manual_seed(0)
    model, x = AdaptiveMax(size, return_indices), torch.randn(shape)
    compiled = kiln.compile(model, x, threads=1)
    torch.testing.assert_close(compiled(x), model(x), rtol=0, atol=0)
