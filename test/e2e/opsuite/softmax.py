"""softmax, log_softmax and softmin over different dims, including large logits."""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F

from .registry import F32_SUM, fn, registrar

XFAIL: dict[str, str] = {}

case = registrar("softmax", XFAIL)


def cube(t):
    return (t.randn(2, 5, 7),)


for dim in (0, 1, 2, -1):
    case(f"softmax_dim{dim}", fn(functools.partial(F.softmax, dim=dim)), cube, tol=F32_SUM)
    case(f"log_softmax_dim{dim}", fn(functools.partial(F.log_softmax, dim=dim)), cube, tol=F32_SUM)

case("softmax_2d", fn(lambda x: torch.softmax(x, 1)), lambda t: (t.randn(4, 10),), tol=F32_SUM)
case("softmax_4d_heads", fn(lambda x: x.softmax(-1)), lambda t: (t.randn(2, 3, 4, 9),), tol=F32_SUM)
case(
    "softmax_large_logits",
    fn(lambda x: x.softmax(-1)),
    lambda t: (t.randn(3, 8) * 100,),
    tol=F32_SUM,
)
case(
    "log_softmax_large_logits",
    fn(lambda x: x.log_softmax(-1)),
    lambda t: (t.randn(3, 8) * 100,),
    tol=F32_SUM,
)
case("softmax_odd_row", fn(lambda x: x.softmax(-1)), lambda t: (t.randn(3, 131),), tol=F32_SUM)
for width in (67, 100):
    case(
        f"softmax_row_{width}",
        fn(lambda x: x.softmax(-1)),
        lambda t, w=width: (t.randn(3, w),),
        tol=F32_SUM,
    )
case(
    "log_softmax_row_67", fn(lambda x: x.log_softmax(-1)), lambda t: (t.randn(2, 67),), tol=F32_SUM
)
case("softmin", fn(functools.partial(F.softmin, dim=-1)), cube, tol=F32_SUM)
case("softmax_module", lambda: torch.nn.Softmax(dim=1), cube, tol=F32_SUM)
case("log_softmax_module", lambda: torch.nn.LogSoftmax(dim=-1), cube, tol=F32_SUM)
case("softmax_temperature", fn(lambda x: (x / 0.7).softmax(-1)), cube, tol=F32_SUM)
