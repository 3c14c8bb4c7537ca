"""float16, bfloat16 and float64: elementwise, contractions, reductions, normalizations,
convolution, and mixing with float32."""

from __future__ import annotations

import torch
import torch.nn as nn
import torch.nn.functional as F

from .registry import BF16, F16, F64, Tolerance, fn, registrar

XFAIL: dict[str, str] = {}

case = registrar("precisions", XFAIL)

PRECISIONS = {
    "f16": (torch.float16, F16),
    "bf16": (torch.bfloat16, BF16),
    "f64": (torch.float64, F64),
}


def randn(dtype, *shapes):
    return lambda t: tuple(t.randn(*s, dtype=dtype) for s in shapes)


def in_dtype(factory, dtype):
    return lambda: factory().to(dtype)


for suffix, (dtype, tol) in PRECISIONS.items():
    # contractions and reductions accumulate many rounding errors of the type
    sums = Tolerance(tol.rtol * 4, tol.atol * 4)
    case(f"add_{suffix}", fn(torch.add), randn(dtype, (4, 6), (4, 6)), tol=tol)
    case(f"mul_broadcast_{suffix}", fn(torch.mul), randn(dtype, (4, 6), (6,)), tol=tol)
    case(f"exp_{suffix}", fn(torch.exp), randn(dtype, (4, 6)), tol=tol)
    case(f"tanh_{suffix}", fn(torch.tanh), randn(dtype, (4, 6)), tol=tol)
    case(f"gelu_{suffix}", fn(F.gelu), randn(dtype, (4, 6)), tol=tol)
    case(f"relu_{suffix}", fn(torch.relu), randn(dtype, (4, 6)), tol=tol)
    case(f"sqrt_{suffix}", fn(lambda x: torch.sqrt(x.abs())), randn(dtype, (4, 6)), tol=tol)
    case(f"mm_{suffix}", fn(torch.mm), randn(dtype, (5, 12), (12, 7)), tol=sums)
    case(f"bmm_{suffix}", fn(torch.bmm), randn(dtype, (2, 4, 9), (2, 9, 3)), tol=sums)
    case(
        f"linear_{suffix}",
        in_dtype(lambda: nn.Linear(10, 6), dtype),
        randn(dtype, (3, 10)),
        tol=sums,
    )
    case(f"sum_{suffix}", fn(lambda x: x.sum(-1)), randn(dtype, (4, 16)), tol=sums)
    case(f"mean_{suffix}", fn(lambda x: x.mean(0)), randn(dtype, (8, 5)), tol=sums)
    case(f"amax_{suffix}", fn(lambda x: x.amax(-1)), randn(dtype, (4, 16)), tol=tol)
    case(f"softmax_{suffix}", fn(lambda x: x.softmax(-1)), randn(dtype, (4, 9)), tol=sums)
    case(
        f"layer_norm_{suffix}",
        in_dtype(lambda: nn.LayerNorm(12), dtype),
        randn(dtype, (3, 12)),
        tol=sums,
    )
    case(
        f"conv2d_{suffix}",
        in_dtype(lambda: nn.Conv2d(3, 4, 3, padding=1), dtype),
        randn(dtype, (1, 3, 6, 6)),
        tol=sums,
    )
    case(
        f"max_pool2d_{suffix}",
        fn(lambda x: F.max_pool2d(x, 2)),
        randn(dtype, (1, 2, 6, 6)),
        tol=tol,
    )
    case(f"cast_to_f32_{suffix}", fn(lambda x: x.float() * 2.0), randn(dtype, (4, 6)), tol=tol)
    case(
        f"mixed_with_f32_{suffix}",
        fn(lambda x, y: x + y),
        lambda t, d=dtype: (t.randn(4, 6, dtype=d), t.randn(4, 6)),
        tol=tol,
    )
    case(
        f"where_{suffix}",
        fn(torch.where),
        lambda t, d=dtype: (t.bools(4, 6), t.randn(4, 6, dtype=d), t.randn(4, 6, dtype=d)),
        tol=tol,
    )
