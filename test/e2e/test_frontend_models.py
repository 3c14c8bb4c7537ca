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
from kiln.errors import UnsupportedOpsError


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


# --- Python numbers from tensors, as inputs and as outputs ----------------------


class FloatOfTensor(nn.Module):
    """``float(t)`` feeding Python arithmetic (normalizing by a data-dependent maximum)."""

    def forward(self, x):
        return x / (float(x.abs().max()) + 1.0)


class IntOfTensor(nn.Module):
    def forward(self, x):
        return x * int(x.argmax())


@pytest.mark.parametrize("model_cls", [FloatOfTensor, IntOfTensor], ids=lambda c: c.__name__)
def test_number_of_a_tensor_in_python_arithmetic(model_cls):
    torch.manual_seed(0)
    model, x = model_cls(), torch.randn(4, 8)
    compiled = kiln.compile(model, x, threads=1)
    for inputs in (x, torch.randn(4, 8) * 3):  # the number is read at run time
        torch.testing.assert_close(compiled(inputs), model(inputs), rtol=1e-6, atol=1e-6)


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


# --- frontend failures: UnsupportedOpsError naming the construct and the line ---


class DataDependentShape(nn.Module):
    def forward(self, x):
        n = int(x.sum() > 0) + 1
        return x[:n]


def test_data_dependent_construct_is_named_at_its_line():
    with pytest.raises(UnsupportedOpsError) as info:
        kiln.compile(DataDependentShape(), torch.randn(4, 3), threads=1)
    (op,) = info.value.ops
    assert "tensor data" in op.op and "int(t)" in op.op
    _assert_located(op, DataDependentShape, "int(x.sum() > 0)")


class Conditional(nn.Module):
    def forward(self, x):
        return torch.cond(x.sum() > 0, lambda x: x + 1, lambda x: x - 1, (x,))


def test_import_failure_names_the_op_and_line():
    with pytest.raises(UnsupportedOpsError) as info:
        kiln.compile(Conditional(), torch.randn(4), threads=1)
    (op,) = info.value.ops
    assert op.op == "cond" and "torch-mlir cannot import it" in op.reason
    _assert_located(op, Conditional, "torch.cond(")


class UnevenAdaptiveMax(nn.Module):
    def forward(self, x):
        return F.adaptive_max_pool2d(x, 5)


def test_lowering_failure_names_the_pytorch_op(monkeypatch):
    # Without kiln's decomposition, torch-mlir's own lowering of uneven windows fails
    # on a tensor.cast it created: the error names the PyTorch op at that line.
    from kiln.frontend import decompositions

    table = dict(decompositions.KILN_DECOMPOSITIONS)
    del table[torch.ops.aten.adaptive_max_pool2d.default]
    monkeypatch.setattr(decompositions, "KILN_DECOMPOSITIONS", table)
    with pytest.raises(UnsupportedOpsError) as info:
        kiln.compile(UnevenAdaptiveMax(), torch.randn(1, 2, 13, 17), threads=1)
    (op,) = info.value.ops
    assert op.op == "aten.adaptive_max_pool2d" and "tensor.cast" in op.reason
    _assert_located(op, UnevenAdaptiveMax, "F.adaptive_max_pool2d(")
