"""Elementwise math: transcendental functions, activations, powers, arithmetic, sign and
rounding, division by zero. (Comparisons, logic, where and clamp are in ``logic.py``.)"""

from __future__ import annotations

import functools

import torch
import torch.nn.functional as F

from .registry import EXACT, F32, F32_MATH, fn, registrar

XFAIL: dict[str, str] = {}

case = registrar("elementwise", XFAIL)


def normal(t):
    return (t.randn(3, 5),)


def positive(t):
    return (t.rand(3, 5, low=0.1, high=4.0),)


def unit(t):
    return (t.rand(3, 5, low=-0.95, high=0.95),)


def wide(t):
    """Values in [-6, 6): both tails of saturating functions."""
    return (t.rand(4, 7, low=-6.0, high=6.0),)


def pair(t):
    return t.randn(3, 5), t.randn(3, 5)


def positive_pair(t):
    return t.rand(3, 5, low=0.1, high=3.0), t.randn(3, 5)


# --- transcendental and activation functions -----------------------------------

UNARY_MATH = {
    "exp": (torch.exp, normal),
    "exp2": (torch.exp2, normal),
    "expm1": (torch.expm1, normal),
    "log": (torch.log, positive),
    "log2": (torch.log2, positive),
    "log10": (torch.log10, positive),
    "log1p": (torch.log1p, positive),
    "tanh": (torch.tanh, wide),
    "erf": (torch.erf, wide),
    "sigmoid": (torch.sigmoid, wide),
    "silu": (F.silu, wide),
    "gelu": (F.gelu, wide),
    "gelu_tanh": (functools.partial(F.gelu, approximate="tanh"), wide),
    "softplus": (F.softplus, wide),
    "mish": (F.mish, wide),
    "elu": (F.elu, wide),
    "selu": (F.selu, wide),
    "celu": (F.celu, wide),
    "logsigmoid": (F.logsigmoid, wide),
    "softsign": (F.softsign, wide),
    "tanhshrink": (F.tanhshrink, wide),
    "sqrt": (torch.sqrt, positive),
    "rsqrt": (torch.rsqrt, positive),
    "reciprocal": (torch.reciprocal, positive),
    "sin": (torch.sin, wide),
    "cos": (torch.cos, wide),
    "tan": (torch.tan, unit),
    "asin": (torch.asin, unit),
    "acos": (torch.acos, unit),
    "atan": (torch.atan, wide),
    "sinh": (torch.sinh, normal),
    "cosh": (torch.cosh, normal),
    "asinh": (torch.asinh, wide),
    "atanh": (torch.atanh, unit),
}

for name, (f, inputs) in UNARY_MATH.items():
    case(name, fn(f), inputs, tol=F32_MATH)

case("exp_0d", fn(torch.exp), lambda t: (t.randn(),), tol=F32_MATH)
case("exp_large", fn(torch.exp), lambda t: (t.rand(4, 6, low=-100.0, high=100.0),), tol=F32_MATH)
case("tanh_large", fn(torch.tanh), lambda t: (t.rand(4, 6, low=-30.0, high=30.0),), tol=F32_MATH)
case(
    "sigmoid_large",
    fn(torch.sigmoid),
    lambda t: (t.rand(4, 6, low=-90.0, high=90.0),),
    tol=F32_MATH,
)

# --- piecewise-linear activations ------------------------------------------------

PIECEWISE = {
    "relu": torch.relu,
    "relu6": F.relu6,
    "leaky_relu": functools.partial(F.leaky_relu, negative_slope=0.1),
    "hardtanh": functools.partial(F.hardtanh, min_val=-2.0, max_val=1.5),
    "hardswish": F.hardswish,
    "hardsigmoid": F.hardsigmoid,
    "hardshrink": functools.partial(F.hardshrink, lambd=0.5),
    "softshrink": functools.partial(F.softshrink, lambd=0.5),
    "threshold": functools.partial(F.threshold, threshold=0.3, value=-1.0),
}

for name, f in PIECEWISE.items():
    case(name, fn(f), wide, tol=F32)

# --- powers ------------------------------------------------------------------------

case("pow_2", fn(lambda x: torch.pow(x, 2)), normal, tol=F32)
case("pow_3", fn(lambda x: x**3), normal, tol=F32)
case("pow_half", fn(lambda x: x**0.5), positive, tol=F32_MATH)
case("pow_neg1", fn(lambda x: x**-1), positive, tol=F32)
case("pow_1_7", fn(lambda x: torch.pow(x, 1.7)), positive, tol=F32_MATH)
case(
    "pow_tensor",
    fn(torch.pow),
    lambda t: (t.rand(3, 5, low=0.1, high=3.0), t.rand(3, 5, low=-2, high=2)),
    tol=F32_MATH,
)
case("pow_scalar_base", fn(lambda x: torch.pow(2.0, x)), normal, tol=F32_MATH)
case("square", fn(torch.square), normal, tol=F32)

# --- arithmetic ----------------------------------------------------------------------

case("add", fn(torch.add), pair, tol=F32)
case("add_alpha", fn(lambda x, y: torch.add(x, y, alpha=0.5)), pair, tol=F32)
case("sub", fn(torch.sub), pair, tol=F32)
case("mul", fn(torch.mul), pair, tol=F32)
case("div", fn(torch.div), positive_pair, tol=F32)
case(
    "div_floor",
    fn(lambda x, y: torch.div(x, y, rounding_mode="floor")),
    lambda t: (t.randn(3, 5) * 4, t.rand(3, 5, low=0.5, high=2)),
    tol=F32,
)
case(
    "div_trunc",
    fn(lambda x, y: torch.div(x, y, rounding_mode="trunc")),
    lambda t: (t.randn(3, 5) * 4, t.rand(3, 5, low=0.5, high=2)),
    tol=F32,
)
case(
    "remainder",
    fn(torch.remainder),
    lambda t: (t.randn(3, 5) * 4, t.rand(3, 5, low=0.5, high=2)),
    tol=F32,
)
case("scalar_affine", fn(lambda x: 3.0 * x - 1.5), normal, tol=F32)
case("rsub_scalar", fn(lambda x: 1.0 - x), normal, tol=F32)
case(
    "addcmul",
    fn(lambda x, y, z: torch.addcmul(x, y, z, value=0.5)),
    lambda t: (t.randn(3, 5), t.randn(3, 5), t.randn(3, 5)),
    tol=F32,
)
case(
    "addcdiv",
    fn(lambda x, y, z: torch.addcdiv(x, y, z, value=0.5)),
    lambda t: (t.randn(3, 5), t.randn(3, 5), t.rand(3, 5, low=0.5, high=2)),
    tol=F32,
)
case("lerp", fn(lambda x, y: torch.lerp(x, y, 0.3)), pair, tol=F32)
case("atan2", fn(torch.atan2), pair, tol=F32_MATH)
case("hypot", fn(torch.hypot), pair, tol=F32)

# --- sign and rounding -----------------------------------------------------------------

case("abs", fn(torch.abs), normal, tol=EXACT)
case("neg", fn(torch.neg), normal, tol=EXACT)
case("sign", fn(torch.sign), lambda t: (torch.cat([t.randn(3, 5), torch.zeros(1, 5)]),), tol=EXACT)
case("sgn", fn(torch.sgn), normal, tol=EXACT)
case("floor", fn(torch.floor), lambda t: (t.randn(3, 5) * 5,), tol=EXACT)
case("ceil", fn(torch.ceil), lambda t: (t.randn(3, 5) * 5,), tol=EXACT)
case("round", fn(torch.round), lambda t: (t.randn(3, 5) * 5,), tol=EXACT)
case(
    "round_half",
    fn(torch.round),
    lambda t: (torch.arange(-4.5, 5.0, 1.0).reshape(2, 5),),
    tol=EXACT,
)
case("round_decimals", fn(lambda x: torch.round(x, decimals=2)), normal, tol=F32)
case("trunc", fn(torch.trunc), lambda t: (t.randn(3, 5) * 5,), tol=EXACT)
case("frac", fn(torch.frac), lambda t: (t.randn(3, 5) * 5,), tol=F32)
case("abs_int", fn(torch.abs), lambda t: (t.randint(3, 5, low=-9, high=9),), tol=EXACT)
case("neg_int", fn(torch.neg), lambda t: (t.randint(3, 5, low=-9, high=9),), tol=EXACT)

# --- division by zero ---------------------------------------------------------------------

case(
    "reciprocal_of_zero",
    fn(torch.reciprocal),
    lambda t: (torch.tensor([[0.0, 1.0, -0.0], [2.0, -3.0, 0.5]]),),
    tol=EXACT,
)
case(
    "scalar_over_zero",
    fn(lambda x: 2.0 / x),
    lambda t: (torch.tensor([[0.0, 1.0, -0.0], [2.0, -3.0, 0.5]]),),
    tol=EXACT,
)
case(
    "div_by_zero",
    fn(torch.div),
    lambda t: (t.randn(2, 3), torch.tensor([[0.0, 1.0, -0.0], [2.0, 0.0, 0.5]])),
    tol=EXACT,
    equal_nan=True,
)
