"""Comparisons, logical and bitwise ops, where, clamp, maximum/minimum, NaN/inf tests."""

from __future__ import annotations

import torch

from .registry import EXACT, F32, fn, registrar

XFAIL: dict[str, str] = {}

case = registrar("logic", XFAIL)


def normal(t):
    return (t.randn(3, 5),)


def pair(t):
    return t.randn(3, 5), t.randn(3, 5)


# --- where and clamp ----------------------------------------------------------------------

case("where", fn(torch.where), lambda t: (t.bools(3, 5), t.randn(3, 5), t.randn(3, 5)), tol=EXACT)
case("where_scalar", fn(lambda x: torch.where(x > 0, x, 0.1 * x)), normal, tol=F32)
case(
    "where_two_scalars",
    fn(lambda m: torch.where(m, 1.0, -1.0)),
    lambda t: (t.bools(3, 5),),
    tol=EXACT,
)
case("clamp", fn(lambda x: torch.clamp(x, -0.5, 0.7)), normal, tol=EXACT)
case("clamp_min", fn(lambda x: torch.clamp(x, min=0.1)), normal, tol=EXACT)
case("clamp_max", fn(lambda x: torch.clamp_max(x, 0.2)), normal, tol=EXACT)
case(
    "clamp_tensor",
    fn(lambda x, lo, hi: torch.clamp(x, lo, hi)),
    lambda t: (t.randn(3, 5), t.rand(3, 5, low=-1, high=0), t.rand(3, 5)),
    tol=EXACT,
)
case("clip", fn(lambda x: torch.clip(x, -1.0, 1.0)), normal, tol=EXACT)
case(
    "clamp_int",
    fn(lambda x: torch.clamp(x, 2, 7)),
    lambda t: (t.randint(3, 5, low=-5, high=15),),
    tol=EXACT,
)


def ints(t):
    return (t.randint(3, 5, low=-10, high=10),)


# Integer inputs with float bounds are promoted to float32 (eager's type promotion).
case("clamp_int_float_bounds", fn(lambda x: torch.clamp(x, min=-2.5, max=2.5)), ints, tol=EXACT)
case("clamp_max_int_float_bound", fn(lambda x: torch.clamp_max(x, 2.5)), ints, tol=EXACT)
case(
    "clamp_int_float_tensor_bound",
    fn(lambda x, lo: torch.clamp(x, min=lo)),
    lambda t: (t.randint(3, 5, low=-3, high=3), t.randn(3, 5)),
    tol=EXACT,
)
# --- maximum, minimum ----------------------------------------------------------------

case("maximum", fn(torch.maximum), pair, tol=EXACT)
case("minimum", fn(torch.minimum), pair, tol=EXACT)
case("fmax", fn(torch.fmax), pair, tol=EXACT)
case("fmin", fn(torch.fmin), pair, tol=EXACT)
case(
    "maximum_int",
    fn(torch.maximum),
    lambda t: (t.randint(3, 5, low=-9, high=9), t.randint(3, 5, low=-9, high=9)),
    tol=EXACT,
)


def with_nans(t):
    x, y = t.randn(3, 5), t.randn(3, 5)
    x[0, 1], y[1, 2], x[2, 3], y[2, 3] = (float("nan"),) * 4
    return x, y


case("maximum_nan", fn(torch.maximum), with_nans, tol=EXACT, equal_nan=True)
case("minimum_nan", fn(torch.minimum), with_nans, tol=EXACT, equal_nan=True)
case(
    "clamp_nan",
    fn(lambda x, y: torch.clamp(x, -0.5, 0.5) + y),
    with_nans,
    tol=EXACT,
    equal_nan=True,
)
case("relu_nan", fn(lambda x, y: torch.relu(x) * y), with_nans, tol=EXACT, equal_nan=True)

# --- comparisons (bool results) -------------------------------------------------------


def ties(t):
    """Two tensors with about half their elements equal.

    The first columns give every comparison a row that starts False and holds a True:
    were bool outputs written as packed bits (vector<Nxi1> stores, kiln before 8c7686e),
    such a row would fail whatever the rest of the output buffer holds.
    """
    x, y = t.randint(3, 5, low=0, high=3).float(), t.randint(3, 5, low=0, high=3).float()
    x[:, :3] = torch.tensor([[2.0, 1.0, 0.0], [0.0, 1.0, 2.0], [1.0, 2.0, 1.0]])
    y[:, :3] = 1.0
    return x, y


for name, f in {
    "eq": torch.eq,
    "ne": torch.ne,
    "lt": torch.lt,
    "le": torch.le,
    "gt": torch.gt,
    "ge": torch.ge,
}.items():
    case(name, fn(f), ties, tol=EXACT)
case("gt_scalar", fn(lambda x: x > 0.25), normal, tol=EXACT)
case("eq_scalar_int", fn(lambda x: x == 3), lambda t: (t.randint(3, 5, low=0, high=6),), tol=EXACT)
case(
    "le_int",
    fn(torch.le),
    lambda t: (t.randint(3, 5, low=0, high=4), t.randint(3, 5, low=0, high=4)),
    tol=EXACT,
)


def specials(t):
    """Normal values with NaN, +inf and -inf among them."""
    x = t.randn(3, 5)
    x[0, 1], x[1, 2], x[2, 3] = float("nan"), float("inf"), float("-inf")
    return (x,)


case("isnan", fn(torch.isnan), specials, tol=EXACT)
case("isinf", fn(torch.isinf), specials, tol=EXACT)
case("isfinite", fn(torch.isfinite), specials, tol=EXACT)
case(
    "nan_to_num",
    fn(lambda x: torch.nan_to_num(x, nan=0.0, posinf=9.0, neginf=-9.0)),
    specials,
    tol=EXACT,
)
case("isnan_to_float", fn(lambda x: torch.isnan(x).float()), specials, tol=EXACT)
case("compare_to_float", fn(lambda x, y: (x < y).float()), pair, tol=EXACT)

# --- logical ops on bool masks ----------------------------------------------------------


def masks(t):
    """Two random masks whose first row starts False, True (see ``ties``)."""
    a, b = t.bools(4, 6), t.bools(4, 6)
    a[0, :2] = b[0, :2] = torch.tensor([False, True])
    return a, b


case("logical_and", fn(torch.logical_and), masks, tol=EXACT)
case("logical_or", fn(torch.logical_or), masks, tol=EXACT)
case("logical_xor", fn(torch.logical_xor), masks, tol=EXACT)
case("logical_not", fn(torch.logical_not), lambda t: (t.bools(4, 6),), tol=EXACT)
case("bool_and_operator", fn(lambda a, b: a & ~b), masks, tol=EXACT)
case("bool_or_operator", fn(lambda a, b: a | b), masks, tol=EXACT)
case(
    "logical_and_float",
    fn(torch.logical_and),
    lambda t: (t.randint(4, 6, high=2).float(), t.randn(4, 6)),
    tol=EXACT,
)
case(
    "bitwise_and_int",
    fn(torch.bitwise_and),
    lambda t: (t.randint(4, 6, high=64), t.randint(4, 6, high=64)),
    tol=EXACT,
)
case(
    "bitwise_xor_int",
    fn(torch.bitwise_xor),
    lambda t: (t.randint(4, 6, high=64), t.randint(4, 6, high=64)),
    tol=EXACT,
)
