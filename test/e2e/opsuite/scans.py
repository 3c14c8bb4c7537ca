"""Scans: cumsum, cumprod, cummax, logcumsumexp."""

from __future__ import annotations

import torch

from .causes import unknown_to_torch_mlir
from .registry import EXACT, F32_SUM, fn, registrar

XFAIL = {
    "cummax": unknown_to_torch_mlir("cummax"),
}

case = registrar("scans", XFAIL)


def cube(t):
    return (t.randn(3, 5, 7),)


case("cumsum_dim0", fn(lambda x: x.cumsum(0)), cube, tol=F32_SUM)
case("cumsum_dim1", fn(lambda x: x.cumsum(1)), cube, tol=F32_SUM)
case("cumsum_last", fn(lambda x: torch.cumsum(x, -1)), cube, tol=F32_SUM)
case("cumsum_long_row", fn(lambda x: x.cumsum(-1)), lambda t: (t.randn(2, 300),), tol=F32_SUM)
case(
    "cumsum_int64",
    fn(lambda x: x.cumsum(1)),
    lambda t: (t.randint(3, 6, low=-9, high=9),),
    tol=EXACT,
)
case("cumsum_bool_to_int64", fn(lambda m: m.cumsum(-1)), lambda t: (t.bools(3, 6),), tol=EXACT)
case("cumprod_dim0", fn(lambda x: x.cumprod(0)), cube, tol=F32_SUM)
case(
    "cumprod_last",
    fn(lambda x: torch.cumprod(x, -1)),
    lambda t: (t.rand(3, 6, low=0.5, high=1.5),),
    tol=F32_SUM,
)
case("cummax", fn(lambda x: tuple(torch.cummax(x, 1))), lambda t: (t.randn(3, 6),), tol=EXACT)
case(
    "logcumsumexp", fn(lambda x: torch.logcumsumexp(x, 1)), lambda t: (t.randn(3, 6),), tol=F32_SUM
)
case(
    "cumsum_mean",
    fn(lambda x: x.cumsum(1) / torch.arange(1, 7, dtype=torch.float32)),
    lambda t: (t.randn(3, 6),),
    tol=F32_SUM,
)
