"""Broadcasting: binary ops between tensors of different ranks and unit dimensions."""

from __future__ import annotations

import torch

from .registry import EXACT, F32, fn, registrar

XFAIL: dict[str, str] = {}

case = registrar("broadcasting", XFAIL)

SHAPES = {
    "row": ((3, 4), (4,)),
    "column": ((3, 4), (3, 1)),
    "outer": ((3, 1), (1, 4)),
    "rank3_middle": ((2, 3, 4), (3, 1)),
    "rank3_unit_batch": ((1, 3, 4), (5, 1, 4)),
    "rank4_vs_rank3": ((2, 1, 4, 1), (3, 1, 5)),
    "rank4_channel": ((2, 3, 4, 5), (1, 3, 1, 1)),
    "rank4_last": ((2, 3, 4, 5), (5,)),
    "cube": ((5, 1, 1), (1, 6, 7)),
    "scalar_tensor": ((3, 4), ()),
    "one_element": ((1,), (5, 6)),
    "odd_sizes": ((7, 1, 13), (1, 11, 13)),
}


def shapes(a, b):
    return lambda t: (t.randn(*a), t.randn(*b))


for name, (a, b) in SHAPES.items():
    case(f"add_{name}", fn(torch.add), shapes(a, b), tol=F32)

case("mul_rank3_middle", fn(torch.mul), shapes((2, 3, 4), (3, 1)), tol=F32)
case("sub_outer", fn(torch.sub), shapes((5, 1), (1, 6)), tol=F32)
case(
    "div_column", fn(torch.div), lambda t: (t.randn(3, 4), t.rand(3, 1, low=0.5, high=2.0)), tol=F32
)
case("maximum_row", fn(torch.maximum), shapes((3, 4), (4,)), tol=EXACT)
case("gt_outer", fn(torch.gt), shapes((3, 1), (1, 4)), tol=EXACT)
case(
    "where_three_shapes",
    fn(torch.where),
    lambda t: (t.bools(3, 1, 4), t.randn(5, 1), t.randn(1, 4)),
    tol=EXACT,
)
case(
    "int_plus_float",
    fn(torch.add),
    lambda t: (t.randint(3, 4, high=9), t.randn(4)),
    tol=F32,
)
case("bool_times_float", fn(torch.mul), lambda t: (t.bools(3, 4), t.randn(3, 1)), tol=EXACT)
case("expand_as_add", fn(lambda x, y: x.expand_as(y) + y), shapes((1, 4), (3, 4)), tol=F32)
case(
    "chain_three",
    fn(lambda x, y, z: x * y + z),
    lambda t: (t.randn(2, 1, 4), t.randn(3, 1), t.randn(4)),
    tol=F32,
)
