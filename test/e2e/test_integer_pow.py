"""Integer ``pow`` (kiln/frontend/pow_decompositions.py) matches eager exactly: repeated
squaring that wraps on overflow, PyTorch's values for negative exponents, int8 to int64,
tensor and Python-int operands."""

from __future__ import annotations

import pytest
import torch

import kiln


def _ints(low, high, dtype, seed):
    return torch.randint(low, high, (3, 4, 5), generator=torch.Generator().manual_seed(seed)).to(
        dtype
    )


def _pow(a, b):
    return torch.pow(a, b)


def _check(fn, *args):
    got, want = kiln.compile(fn, *args, quiet=True)(*args), fn(*args)
    assert got.dtype == want.dtype
    torch.testing.assert_close(got, want, rtol=0, atol=0)


@pytest.mark.parametrize("dtype", [torch.int8, torch.int32, torch.int64])
def test_tensor_tensor_wraps_like_eager(dtype):
    # Exponents up to 40 overflow every dtype: the wrapped products must match.
    _check(_pow, _ints(-9, 10, dtype, 0), _ints(0, 41, dtype, 1))


def test_negative_exponents():
    base = torch.tensor([-3, -2, -1, 0, 1, 2, 3] * 2, dtype=torch.int32)
    exponent = torch.tensor([-1] * 7 + [-2] * 7, dtype=torch.int32)
    _check(_pow, base, exponent)


def test_mixed_widths_promote():
    _check(_pow, _ints(-9, 10, torch.int32, 2), _ints(0, 30, torch.int64, 3))


def test_python_int_operands():
    x = _ints(-9, 10, torch.int64, 4)
    _check(lambda a: torch.pow(a, 13), x)
    _check(lambda a: a**0, x)
    _check(lambda e: torch.pow(3, e), _ints(0, 50, torch.int32, 5))


def test_float_pow_is_unchanged():
    x, y = torch.rand(3, 4) + 0.5, torch.randn(3, 4)
    got = kiln.compile(_pow, x, y, quiet=True)(x, y)
    torch.testing.assert_close(got, _pow(x, y), rtol=1e-5, atol=1e-6)
