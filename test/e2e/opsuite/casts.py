"""dtype casts between float32, float16, bfloat16, float64, int64, int32 and bool."""

from __future__ import annotations

import torch

from .registry import EXACT, fn, registrar

XFAIL: dict[str, str] = {}

case = registrar("casts", XFAIL)


def signed(t):
    """Floats in (-50, 50): truncation toward zero differs from floor for half of them."""
    return (t.rand(4, 6, low=-50.0, high=50.0),)


def with_zeros(t):
    x = t.randn(4, 6)
    x[::2, ::3] = 0.0
    return (x,)


CASTS = {
    "f32_to_i64": (lambda x: x.to(torch.int64), signed),
    "f32_to_i32": (lambda x: x.int(), signed),
    "f32_to_bool": (lambda x: x.bool(), with_zeros),
    "f32_to_f16": (lambda x: x.half(), signed),
    "f32_to_bf16": (lambda x: x.bfloat16(), signed),
    "f32_to_f64": (lambda x: x.double(), signed),
    "i64_to_f32": (lambda x: x.float(), lambda t: (t.randint(4, 6, low=-1000, high=1000),)),
    "i32_to_f32": (
        lambda x: x.float(),
        lambda t: (t.randint(4, 6, low=-1000, high=1000, dtype=torch.int32),),
    ),
    "i64_to_i32": (lambda x: x.int(), lambda t: (t.randint(4, 6, low=-1000, high=1000),)),
    "i32_to_i64": (
        lambda x: x.long(),
        lambda t: (t.randint(4, 6, low=-1000, high=1000, dtype=torch.int32),),
    ),
    "i64_to_bool": (lambda x: x.bool(), lambda t: (t.randint(4, 6, low=-2, high=2),)),
    "bool_to_f32": (lambda m: m.float(), lambda t: (t.bools(4, 6),)),
    "bool_to_i64": (lambda m: m.long(), lambda t: (t.bools(4, 6),)),
    "f16_to_f32": (lambda x: x.float(), lambda t: (t.randn(4, 6, dtype=torch.float16),)),
    "bf16_to_f32": (lambda x: x.float(), lambda t: (t.randn(4, 6, dtype=torch.bfloat16),)),
    "f64_to_f32": (lambda x: x.float(), lambda t: (t.randn(4, 6, dtype=torch.float64),)),
    "f32_to_u8": (lambda x: x.to(torch.uint8), lambda t: (t.rand(4, 6, low=0.0, high=250.0),)),
    # 8 and 16 bits through i32 (kiln-float-to-int-via-i32): the upper half of uint8 and
    # of uint16's range on vectors of 8 and 16 lanes (AVX2 saturated them at 127).
    "f32_to_u8_wide_rows": (
        lambda x: x.to(torch.uint8),
        lambda t: (t.rand(3, 37, low=0.0, high=255.0),),
    ),
    "f32_to_i8": (lambda x: x.to(torch.int8), lambda t: (t.rand(4, 16, low=-128.0, high=127.0),)),
    "f32_to_i16": (
        lambda x: x.to(torch.int16),
        lambda t: (t.rand(4, 16, low=-30000.0, high=30000.0),),
    ),
    "bf16_to_u8": (
        lambda x: x.to(torch.uint8),
        lambda t: (t.rand(4, 16, low=0.0, high=255.0).bfloat16(),),
    ),
    "type_as": (lambda x, y: x.type_as(y), lambda t: (t.randn(4, 6) * 9, t.randint(4, 6))),
    "round_trip_i64": (lambda x: x.long().float() * 0.5, signed),
    "compare_to_i64": (lambda x: (x > 0).long().sum(-1), signed),
    "argmax_to_f32": (lambda x: x.argmax(-1).float(), signed),
    "f32_to_i64_plus_index": (lambda x: x.long() + torch.arange(6), signed),
}

for name, (f, inputs) in CASTS.items():
    case(name, fn(f), inputs, tol=EXACT)
