"""Integer and bool inputs: int64/int32/int16/uint8 arithmetic, division, shifts, masks."""

from __future__ import annotations

import torch

from .registry import EXACT, F32, fn, registrar

XFAIL: dict[str, str] = {}

case = registrar("integers", XFAIL)


def ints(dtype=torch.int64, low=-20, high=20):
    return lambda t: (
        t.randint(4, 6, low=low, high=high, dtype=dtype),
        t.randint(4, 6, low=low, high=high, dtype=dtype),
    )


def nonzero_divisor(dtype=torch.int64):
    return lambda t: (
        t.randint(4, 6, low=-20, high=20, dtype=dtype),
        t.randint(4, 6, low=1, high=6, dtype=dtype)
        * (1 - 2 * t.randint(4, 6, high=2, dtype=dtype)),
    )


case("add_i64", fn(torch.add), ints(), tol=EXACT)
case("sub_i64", fn(torch.sub), ints(), tol=EXACT)
case("mul_i64", fn(torch.mul), ints(), tol=EXACT)
case("add_i32", fn(torch.add), ints(torch.int32), tol=EXACT)
case("mul_i32", fn(torch.mul), ints(torch.int32), tol=EXACT)
case("add_i16", fn(torch.add), ints(torch.int16), tol=EXACT)
case("add_u8", fn(torch.add), ints(torch.uint8, low=0, high=100), tol=EXACT)
case("add_i8", fn(torch.add), ints(torch.int8, low=-50, high=50), tol=EXACT)
case(
    "scalar_ops_i64",
    fn(lambda x: x * 3 - 7),
    lambda t: (t.randint(4, 6, low=-20, high=20),),
    tol=EXACT,
)
case("floor_divide_i64", fn(torch.floor_divide), nonzero_divisor(), tol=EXACT)
case(
    "div_trunc_i64",
    fn(lambda x, y: torch.div(x, y, rounding_mode="trunc")),
    nonzero_divisor(),
    tol=EXACT,
)
case("true_divide_i64", fn(torch.true_divide), nonzero_divisor(), tol=F32)
case("remainder_i64", fn(torch.remainder), nonzero_divisor(), tol=EXACT)
case("fmod_i64", fn(torch.fmod), nonzero_divisor(), tol=EXACT)
case(
    "remainder_i32_scalar",
    fn(lambda x: x % 7),
    lambda t: (t.randint(4, 6, low=-20, high=20, dtype=torch.int32),),
    tol=EXACT,
)
case(
    "shift_left_i64",
    fn(lambda x: x << 2),
    lambda t: (t.randint(4, 6, low=-20, high=20),),
    tol=EXACT,
)
case(
    "shift_right_i64",
    fn(lambda x: x >> 1),
    lambda t: (t.randint(4, 6, low=-20, high=20),),
    tol=EXACT,
)
case(
    "bitwise_not_i64",
    fn(torch.bitwise_not),
    lambda t: (t.randint(4, 6, low=-20, high=20),),
    tol=EXACT,
)
case("bitwise_or_i32", fn(torch.bitwise_or), ints(torch.int32, low=0, high=64), tol=EXACT)
case(
    "where_i64",
    fn(lambda m, x, y: torch.where(m, x, y)),
    lambda t: (t.bools(4, 6), *ints()(t)),
    tol=EXACT,
)
case("minimum_i32", fn(torch.minimum), ints(torch.int32), tol=EXACT)
case("sign_i64", fn(torch.sign), lambda t: (t.randint(4, 6, low=-3, high=3),), tol=EXACT)
case(
    "mm_i64",
    fn(torch.mm),
    lambda t: (t.randint(3, 4, low=-5, high=5), t.randint(4, 5, low=-5, high=5)),
    tol=EXACT,
)
# 8-bit contractions wrap their sums modulo 2**8 (products of up to +-120 overflow
# on purpose). torch-mlir's 8-bit lowering used to kill the process: isolated.
case(
    "mm_i8_wraps",
    fn(torch.mm),
    lambda t: (
        t.randint(16, 4, low=-120, high=120, dtype=torch.int8),
        t.randint(4, 16, low=-120, high=120, dtype=torch.int8),
    ),
    tol=EXACT,
    isolate=True,
)
case(
    "mm_u8_zero_k",
    fn(torch.mm),
    lambda t: (
        t.randint(3, 0, high=200, dtype=torch.uint8),
        t.randint(0, 5, high=200, dtype=torch.uint8),
    ),
    tol=EXACT,
    isolate=True,
)
case(
    "matmul_batched_u8",
    fn(torch.matmul),
    lambda t: (
        t.randint(2, 5, 6, high=250, dtype=torch.uint8),
        t.randint(6, 3, high=250, dtype=torch.uint8),
    ),
    tol=EXACT,
    isolate=True,
)
# An int64 gradient with a float32 input is float32 in eager (type promotion).
case(
    "threshold_backward_int_grad",
    fn(lambda g, x: torch.ops.aten.threshold_backward(g, x, 0.5)),
    lambda t: (t.randint(4, 5, high=20), t.rand(4, 5)),
    tol=EXACT,
)
case(
    "int_times_float_scalar",
    fn(lambda x: x * 0.5),
    lambda t: (t.randint(4, 6, low=-20, high=20),),
    tol=F32,
)
case(
    "int_index_arithmetic",
    fn(lambda x, i: x[(i * 2 + 1) % 6]),
    lambda t: (t.randn(6, 3), t.randint(4, high=10)),
    tol=EXACT,
)
case(
    "bool_xor_mask_select",
    fn(lambda x, a, b: torch.where(a ^ b, x, -x)),
    lambda t: (t.randn(4, 6), t.bools(4, 6), t.bools(4, 6)),
    tol=EXACT,
)
case(
    "bool_sum_as_float",
    fn(lambda a, b: (a & b).float().mean(-1)),
    lambda t: (t.bools(4, 6), t.bools(4, 6)),
    tol=F32,
)
