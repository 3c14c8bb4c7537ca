"""kiln/runtime/compiled.py: marshalling torch tensors and numpy arrays to a packed native entry.

A fake JIT stands in for the compiled code: a Python function with the packed
calling convention (``void f(void **args)``, inputs then out-params).
"""

from __future__ import annotations

import ctypes

import numpy as np
import pytest
import torch

from kiln.errors import BufferTooLargeError, InputMismatchError
from kiln.runtime.compiled import CompiledModel
from kiln.runtime.signature import Signature, TensorSpec

SIGNATURE = Signature(
    "f",
    (TensorSpec((2, 3), "float32"), TensorSpec((3,), "int64")),
    (TensorSpec((2, 3), "float32"), TensorSpec((3,), "int64")),
)


class FakeJit:
    """Implements ``f(x, n) = (x + n, 2 * n)`` on raw pointers, and records them."""

    def __init__(self):
        self.calls: list[list[int]] = []

    def packed_function(self, name: str):
        assert name == "f"
        return self._entry

    def _entry(self, packed) -> None:
        pointers = [ctypes.c_void_p.from_address(packed[i]).value for i in range(4)]
        self.calls.append(pointers)
        x, n, y, m = (
            _view(p, spec)
            for p, spec in zip(pointers, SIGNATURE.inputs + SIGNATURE.outputs, strict=True)
        )
        y[...] = x + n
        m[...] = 2 * n


def _view(pointer: int, spec: TensorSpec) -> np.ndarray:
    size = int(np.prod(spec.shape))
    buffer = (ctypes.c_char * (size * np.dtype(spec.numpy_dtype).itemsize)).from_address(pointer)
    return np.frombuffer(buffer, dtype=spec.numpy_dtype).reshape(spec.shape)


@pytest.fixture
def model():
    jit = FakeJit()
    return jit, CompiledModel(jit, SIGNATURE, threads=1)


def test_torch_in_torch_out(model):
    jit, compiled = model
    x, n = torch.arange(6, dtype=torch.float32).reshape(2, 3), torch.tensor([1, 2, 3])
    y, m = compiled(x, n)
    assert isinstance(y, torch.Tensor) and isinstance(m, torch.Tensor)
    assert (y.dtype, m.dtype) == (torch.float32, torch.int64)
    torch.testing.assert_close(y, x + n)
    torch.testing.assert_close(m, 2 * n)
    # contiguous inputs are passed in place; outputs are the returned tensors' storage
    assert jit.calls[-1] == [x.data_ptr(), n.data_ptr(), y.data_ptr(), m.data_ptr()]


def test_numpy_in_numpy_out(model):
    _, compiled = model
    x, n = np.ones((2, 3), np.float32), np.array([4, 5, 6])
    y, m = compiled(x, n)
    assert isinstance(y, np.ndarray) and y.dtype == np.float32 and y.shape == (2, 3)
    np.testing.assert_array_equal(y, x + n)
    np.testing.assert_array_equal(m, 2 * n)


def test_mixed_inputs_give_torch_outputs(model):
    _, compiled = model
    y, m = compiled(np.ones((2, 3), np.float32), torch.tensor([1, 1, 1]))
    assert isinstance(y, torch.Tensor) and isinstance(m, torch.Tensor)


def test_non_contiguous_inputs_are_copied(model):
    jit, compiled = model
    x = torch.arange(6, dtype=torch.float32).reshape(3, 2).t()
    n = torch.arange(6)[::2]
    y, m = compiled(x, n)
    torch.testing.assert_close(y, x + n)
    torch.testing.assert_close(m, 2 * n)
    assert jit.calls[-1][0] != x.data_ptr()
    xn = np.arange(6, dtype=np.float32).reshape(3, 2).T
    y, _ = compiled(xn, n.numpy())
    np.testing.assert_array_equal(y, xn + n.numpy())


def test_big_endian_arrays_are_read_in_the_hosts_byte_order(model):
    # Regression: '>f4' passed its raw bytes, values off by up to 1e36.
    _, compiled = model
    x = np.arange(6, dtype=">f4").reshape(2, 3)
    n = np.array([1, 2, 3], dtype=">i8")
    y, m = compiled(x, n)
    np.testing.assert_array_equal(y, np.arange(6, dtype=np.float32).reshape(2, 3) + [1, 2, 3])
    np.testing.assert_array_equal(m, [2, 4, 6])
    assert x.dtype.str == ">f4"  # the caller's array is left as it was


def test_negative_strides_and_negated_views_pass_their_values(model):
    # Regression: torch._neg_view's memory holds the un-negated values.
    _, compiled = model
    base = torch.arange(6, dtype=torch.float32).reshape(2, 3)
    y, _ = compiled(torch._neg_view(base), torch.zeros(3, dtype=torch.int64))
    torch.testing.assert_close(y, -base)
    flipped = np.arange(6, dtype=np.float32).reshape(2, 3)[::-1, ::-1]
    y, _ = compiled(flipped, np.zeros(3, np.int64))
    np.testing.assert_array_equal(y, flipped)


def test_offset_views_pass_their_own_data(model):
    jit, compiled = model
    base = torch.arange(12, dtype=torch.float32).reshape(4, 3)
    x = base[2:]  # contiguous, at an offset into its storage
    y, _ = compiled(x, torch.zeros(3, dtype=torch.int64))
    torch.testing.assert_close(y, x)
    assert jit.calls[-1][0] == x.data_ptr() != base.data_ptr()


def test_mismatches_never_reach_native_code(model):
    jit, compiled = model
    with pytest.raises(InputMismatchError, match=r"input 1: expected int64\[3\], got int32\[3\]"):
        compiled(torch.zeros(2, 3), torch.zeros(3, dtype=torch.int32))
    with pytest.raises(
        InputMismatchError, match=r"f takes 2 input\(s\) \(float32\[2, 3\], int64\[3\]\), got 1"
    ):
        compiled(torch.zeros(2, 3))
    with pytest.raises(InputMismatchError, match="got float"):
        compiled(torch.zeros(2, 3), 1.0)
    assert jit.calls == []


def test_single_output_is_not_a_tuple():
    signature = Signature("f", SIGNATURE.inputs, SIGNATURE.outputs[:1])

    class OneOutput(FakeJit):
        def _entry(self, packed):
            y = _view(ctypes.c_void_p.from_address(packed[2]).value, signature.outputs[0])
            y[...] = 7

    compiled = CompiledModel(OneOutput(), signature, threads=1)
    out = compiled(torch.zeros(2, 3), torch.zeros(3, dtype=torch.int64))
    assert isinstance(out, torch.Tensor)
    torch.testing.assert_close(out, torch.full((2, 3), 7.0))


def test_set_threads(model):
    _, compiled = model
    compiled.set_threads(2)
    assert compiled.threads == 2
    with pytest.raises(ValueError, match="threads must be >= 1"):
        compiled.set_threads(0)


@pytest.mark.parametrize("use_torch", [True, False], ids=["torch", "numpy"])
def test_an_output_too_large_to_allocate_is_a_kiln_error(use_torch):
    huge = Signature("f", (TensorSpec((2, 3), "float32"),), (TensorSpec((2**50,), "float32"),))
    compiled = CompiledModel(FakeJit(), huge, threads=1)
    x = torch.zeros(2, 3) if use_torch else np.zeros((2, 3), np.float32)
    with pytest.raises(BufferTooLargeError, match=r"output of shape \[1125899906842624\]"):
        compiled(x)


def test_tensor_subclasses_take_the_general_path(model):
    jit, compiled = model
    x = torch.nn.Parameter(torch.ones(2, 3), requires_grad=False)
    y, _ = compiled(x, torch.tensor([1, 2, 3]))
    torch.testing.assert_close(y, torch.tensor([[2.0, 3, 4], [2, 3, 4]]))
    assert jit.calls[-1][0] == x.data_ptr()
