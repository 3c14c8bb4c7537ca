"""Integer division of tensors by zero: no trap, numpy's answer (eager PyTorch raises).

x86's integer division traps on a zero divisor and on INT_MIN / -1: the
process died of SIGFPE. kiln-guard-integer-division makes both defined.
"""

from __future__ import annotations

import torch

import kiln

INT_MIN = -(2**31)


class TruncDivAndRemainder(torch.nn.Module):
    def forward(self, a, b):
        return torch.div(a, b, rounding_mode="trunc"), torch.remainder(a, b), torch.fmod(a, b)


def _inputs():
    a = torch.tensor([7, -7, 5, INT_MIN, 9, -3, 4, 100, -100, 0, 13, 2**30], dtype=torch.int32)
    b = torch.tensor([2, 2, 0, -1, 3, 0, 1, 7, -7, 0, -5, 3], dtype=torch.int32)
    return a, b


def test_nonzero_divisors_match_eager_and_zero_divisors_give_zero():
    a, b = _inputs()
    compiled = kiln.compile(TruncDivAndRemainder(), a, b, threads=1)
    got = compiled(a, b)
    safe = torch.where(b == 0, torch.ones_like(b), b)
    overflow = (a == INT_MIN) & (b == -1)
    nonzero = (b != 0) & ~overflow
    eager = TruncDivAndRemainder()(torch.where(overflow, 0, a), safe)
    for result, expected in zip(got, eager, strict=True):
        torch.testing.assert_close(result[nonzero], expected[nonzero], rtol=0, atol=0)
    quotient, remainder, fmod = got
    # numpy's answer for x // 0 and x % 0. (torch-mlir decomposes fmod as
    # a - trunc(a / b) * b, so fmod(a, 0) is a: defined, no trap.)
    assert quotient[b == 0].tolist() == [0, 0, 0] and remainder[b == 0].tolist() == [0, 0, 0]
    assert fmod[b == 0].tolist() == a[b == 0].tolist()
    # INT_MIN / -1 wraps to INT_MIN, its remainder is 0 (PyTorch's and numpy's answer).
    assert quotient[3] == INT_MIN and remainder[3] == 0 and fmod[3] == 0


def floor_divide(x, y):  # a plain function: kiln.compile takes those too
    return x // y, torch.div(x, y, rounding_mode="floor"), x // -3


def test_floor_division_is_exact_for_int64_and_zero_divisors_give_zero():
    # torch-mlir lowers integer floor division through f64: int64 values past 2**53
    # came back rounded (2**62 + 1 // 3 was off by 85). kiln decomposes it into exact
    # integer ops.
    a = torch.tensor([2**62 + 1, -(2**62) - 3, 7, -7, 7, -7, 0, 5, -(2**63)], dtype=torch.int64)
    b = torch.tensor([3, 3, 2, 2, -2, -2, 5, 0, -1], dtype=torch.int64)
    got = kiln.compile(floor_divide, a, b, threads=1)(a, b)
    nonzero = b != 0
    expected = floor_divide(a, torch.where(nonzero, b, 1))
    for result, wanted in zip(got, expected, strict=True):
        torch.testing.assert_close(result[nonzero], wanted[nonzero], rtol=0, atol=0)
    assert got[0][~nonzero].tolist() == [0] and got[1][~nonzero].tolist() == [0]
    torch.testing.assert_close(got[2], a // -3, rtol=0, atol=0)


def test_float_floor_division_is_unchanged():
    # Quotients well away from integers: no rounding can move the floor.
    a = torch.arange(-32, 32, dtype=torch.float32) + 0.25
    b = torch.tensor([2.0, -4.0, 0.5, -8.0]).repeat(16)
    got = kiln.compile(floor_divide, a, b, threads=1)(a, b)
    for result, wanted in zip(got, floor_divide(a, b), strict=True):
        torch.testing.assert_close(result, wanted, rtol=1e-5, atol=1e-5)
