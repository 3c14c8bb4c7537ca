"""``Tensor.view(dtype)`` reinterprets bits (kiln-bitcast-views), and ``torch.signbit`` /
``torch.copysign``, which decompose into it, match eager bit for bit: signs of -0.0
and NaN included."""

from __future__ import annotations

import pytest
import torch

import kiln

SPECIALS = [-torch.inf, torch.inf, torch.nan, -torch.nan, 2.3, -2.3, 0.0, -0.0]
SAME_WIDTH_INT = {
    torch.float32: torch.int32,
    torch.float16: torch.int16,
    torch.bfloat16: torch.int16,
}


def _bits(x: torch.Tensor) -> torch.Tensor:
    """``x``'s bit patterns as integers (NaNs compare by payload and sign)."""
    return x.view(SAME_WIDTH_INT.get(x.dtype, x.dtype))


@pytest.mark.parametrize(
    ("shape", "source", "target"),
    [
        ((3, 8), torch.float32, torch.int32),  # same width
        ((4, 6), torch.float16, torch.bfloat16),
        ((12, 1), torch.float32, torch.int8),  # narrower: the last dim grows
        ((2, 4), torch.float64, torch.int16),
        ((3, 8), torch.int8, torch.float32),  # wider: the last dim shrinks
        ((2, 8), torch.int16, torch.int64),
    ],
)
def test_view_dtype_reinterprets_bits(shape, source, target):
    def view(x):
        return x.view(target) + 0  # an op after the view: it must be a value, not an alias

    if source.is_floating_point:
        x = torch.randn(shape, generator=torch.Generator().manual_seed(0)).to(source)
    else:
        x = torch.randint(-100, 100, shape, generator=torch.Generator().manual_seed(0)).to(source)
    got, want = kiln.compile(view, x, quiet=True)(x), view(x)
    assert got.shape == want.shape and got.dtype == want.dtype
    torch.testing.assert_close(_bits(got), _bits(want), rtol=0, atol=0)


@pytest.mark.parametrize("dtype", [torch.float32, torch.float16, torch.bfloat16])
def test_signbit_and_copysign_match_eager(dtype):
    x = torch.tensor([SPECIALS], dtype=dtype)
    magnitudes = torch.tensor([[1.0, -2.0, 3.0, -4.0, 0.0, -0.0, torch.nan, 5.0]], dtype=dtype)
    got = kiln.compile(_signbit, x, quiet=True)(x)
    torch.testing.assert_close(got, _signbit(x), rtol=0, atol=0)
    got = kiln.compile(_copysign, magnitudes, x, quiet=True)(magnitudes, x)
    torch.testing.assert_close(_bits(got), _bits(_copysign(magnitudes, x)), rtol=0, atol=0)


def _signbit(x):
    return torch.signbit(x)


def _copysign(a, b):
    return torch.copysign(a, b)
