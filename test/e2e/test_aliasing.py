"""kiln never writes the caller's memory: ops that update tensors in place leave the inputs alone.

Before ``kiln-readonly-arguments``, one-shot bufferization wrote in place into
argument buffers: ``slice_scatter``, an assignment into a clone, ``torch.det``
(LU in place) and MLIR using an argument as ``outs`` all changed the caller's
tensor. Each case is compared with eager PyTorch (run on copies) and its
inputs must be bit-identical after the call (``caller_inputs``). The zoo
models are checked the same way in test_models.py, the op suite in its
harness.
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn as nn
from caller_inputs import call_keeping_inputs
from torch.export import Dim

import kiln


class Fn(nn.Module):
    def __init__(self, fn):
        super().__init__()
        self.fn = fn

    def forward(self, *xs):
        return self.fn(*xs)


def _assign_slice(x, y):
    z = x.clone()
    z[:, 1:3] = y
    return z


def _index_put(x, i, v):
    z = x.clone()
    z[i] = v
    return z


def _index_put_accumulate(x, i, v):
    return x.clone().index_put_((i,), v, accumulate=True)


def _in_place_chain(x, y):
    z = x.clone()
    z.add_(y)
    z.mul_(2.0)
    z.relu_()
    return z


def _masked_fill(x):
    z = x.clone()
    z.masked_fill_(x > 0, 0.0)
    return z


def _copy_row(x, y):
    z = x.clone()
    z[1].copy_(y[0])
    return z


def _inputs(seed: int = 0):
    g = torch.Generator().manual_seed(seed)
    x, y = torch.randn(4, 6, generator=g), torch.randn(4, 2, generator=g)
    rows = torch.tensor([2, 0])
    cols = torch.randint(0, 6, (4, 3), generator=g)
    return g, x, y, rows, cols


def _cases():
    g, x, y, rows, cols = _inputs()
    return {
        "slice_scatter": (lambda a, b: torch.slice_scatter(a, b, 1, 1, 3), (x, y)),
        "assign_slice": (_assign_slice, (x, y)),
        "det": (torch.det, (torch.randn(3, 3, generator=g),)),
        "det_batched": (torch.det, (torch.randn(2, 4, 4, generator=g),)),
        "index_put": (_index_put, (x, rows, torch.randn(2, 6, generator=g))),
        "index_put_accumulate": (_index_put_accumulate, (x, rows, torch.randn(2, 6, generator=g))),
        "scatter": (lambda a, i, s: torch.scatter(a, 1, i, s), (x, cols, torch.randn(4, 3))),
        "scatter_add": (
            lambda a, i, s: torch.scatter_add(a, 1, i, s),
            (x, cols, torch.randn(4, 3)),
        ),
        "in_place_chain": (_in_place_chain, (x, torch.randn(4, 6, generator=g))),
        "masked_fill": (_masked_fill, (x,)),
        "copy_row": (_copy_row, (x, torch.randn(2, 6, generator=g))),
        "sort": (lambda a: torch.sort(a, dim=1).values, (x,)),
        "cumsum": (lambda a: torch.cumsum(a, 1), (x,)),
        "identity": (lambda a: a, (x,)),
        "view": (lambda a: a.view(6, 4), (x,)),
    }


CASES = _cases()


@pytest.mark.parametrize("name", sorted(CASES))
def test_torch_ops_leave_inputs_unchanged(name):
    fn, inputs = CASES[name]
    model = Fn(fn)
    with torch.no_grad():
        expected = model(*(t.clone() for t in inputs))
    compiled = kiln.compile(model, *inputs)
    out = call_keeping_inputs(compiled, *inputs)
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)
    # numpy inputs take the general (checked, converted) path of the runtime.
    out = call_keeping_inputs(compiled, *(t.numpy() for t in inputs))
    torch.testing.assert_close(torch.from_numpy(np.asarray(out)), expected, rtol=1e-5, atol=1e-5)


@pytest.mark.parametrize("name", ["slice_scatter", "assign_slice", "in_place_chain", "identity"])
def test_dynamic_shapes_leave_inputs_unchanged(name):
    """Dynamic entry points return buffers they allocate: never one of the inputs."""
    fn, inputs = CASES[name]
    model = Fn(fn)
    batch = Dim("batch", max=64)
    # forward(*xs): one positional argument, the tuple of inputs.
    compiled = kiln.compile(model, *inputs, dynamic_shapes=(tuple({0: batch} for _ in inputs),))
    torch.manual_seed(1)
    fresh = tuple(torch.randn(9, *t.shape[1:]) for t in inputs)
    with torch.no_grad():
        expected = model(*(t.clone() for t in fresh))
    out = call_keeping_inputs(compiled, *fresh)
    torch.testing.assert_close(out, expected, rtol=1e-5, atol=1e-5)


ACCUMULATE = """
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @accumulate(%x: tensor<4x8xf32>, %acc: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x8xf32>) outs(%acc : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}
"""

MATMUL_INTO_ARGUMENT = """
func.func @matmul(%a: tensor<16x32xf32>, %b: tensor<32x24xf32>, %c: tensor<16x24xf32>) -> tensor<16x24xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<16x32xf32>, tensor<32x24xf32>)
      outs(%c : tensor<16x24xf32>) -> tensor<16x24xf32>
  return %r : tensor<16x24xf32>
}
"""

INSERT_INTO_ARGUMENT = """
func.func @insert(%x: tensor<4x6xf32>, %y: tensor<4x2xf32>) -> tensor<4x6xf32> {
  %r = tensor.insert_slice %y into %x[0, 1] [4, 2] [1, 1] : tensor<4x2xf32> into tensor<4x6xf32>
  return %r : tensor<4x6xf32>
}
"""


def test_mlir_argument_as_destination_is_not_written():
    torch.manual_seed(0)
    x, acc = torch.randn(4, 8), torch.randn(4, 8)
    out = call_keeping_inputs(kiln.compile(ACCUMULATE), x, acc)
    torch.testing.assert_close(out, x + acc, rtol=0, atol=0)

    a, b, c = torch.randn(16, 32), torch.randn(32, 24), torch.randn(16, 24)
    out = call_keeping_inputs(kiln.compile(MATMUL_INTO_ARGUMENT), a, b, c)
    torch.testing.assert_close(out, c + a @ b, rtol=1e-5, atol=1e-5)

    x, y = torch.randn(4, 6), torch.randn(4, 2)
    out = call_keeping_inputs(kiln.compile(INSERT_INTO_ARGUMENT), x, y)
    torch.testing.assert_close(out, torch.slice_scatter(x, y, 1, 1, 3), rtol=0, atol=0)


def test_the_check_sees_a_write():
    """The helper itself: a callable that writes into its input fails it."""

    def clobber(x):
        x.add_(1)
        return x

    with pytest.raises(AssertionError, match="wrote into input 0"):
        call_keeping_inputs(clobber, torch.zeros(3))
