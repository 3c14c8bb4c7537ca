"""Reductions: sum, mean, max/min, amax/amin, argmax/argmin, var/std, logsumexp, prod, norms."""

from __future__ import annotations

import torch

from .registry import EXACT, F32_SUM, fn, registrar

XFAIL: dict[str, str] = {}

case = registrar("reductions", XFAIL)


def cube(t):
    return (t.randn(3, 5, 7),)


def values(result):
    """The values of a (values, indices) pair."""
    return result.values


# (name, function, tolerance); each runs on a 3x5x7 input.
REDUCTIONS = [
    ("sum_all", torch.sum, F32_SUM),
    ("sum_dim0", lambda x: x.sum(0), F32_SUM),
    ("sum_dim1", lambda x: x.sum(1), F32_SUM),
    ("sum_last", lambda x: x.sum(-1), F32_SUM),
    ("sum_keepdim", lambda x: x.sum(1, keepdim=True), F32_SUM),
    ("sum_dims_0_2", lambda x: x.sum((0, 2)), F32_SUM),
    ("sum_dims_keepdim", lambda x: x.sum((1, 2), keepdim=True), F32_SUM),
    ("mean_all", torch.mean, F32_SUM),
    ("mean_dim0", lambda x: x.mean(0), F32_SUM),
    ("mean_last_keepdim", lambda x: x.mean(-1, keepdim=True), F32_SUM),
    ("mean_dims", lambda x: x.mean((0, 1)), F32_SUM),
    ("max_all", torch.max, EXACT),
    ("max_dim_values", lambda x: x.max(1).values, EXACT),
    ("max_dim_both", lambda x: tuple(x.max(-1)), EXACT),
    ("max_dim_keepdim", lambda x: tuple(x.max(0, keepdim=True)), EXACT),
    ("min_all", torch.min, EXACT),
    ("min_dim_both", lambda x: tuple(x.min(1)), EXACT),
    ("amax_dim", lambda x: x.amax(1), EXACT),
    ("amax_dims_keepdim", lambda x: x.amax((0, 2), keepdim=True), EXACT),
    ("amin_last", lambda x: x.amin(-1), EXACT),
    ("amin_all", lambda x: x.amin((0, 1, 2)), EXACT),
    ("argmax_dim0", lambda x: x.argmax(0), EXACT),
    ("argmax_last", lambda x: x.argmax(-1), EXACT),
    ("argmax_keepdim", lambda x: x.argmax(1, keepdim=True), EXACT),
    ("argmax_flat", torch.argmax, EXACT),
    ("argmin_dim1", lambda x: x.argmin(1), EXACT),
    ("argmin_flat", torch.argmin, EXACT),
    ("var_all", torch.var, F32_SUM),
    ("var_dim", lambda x: x.var(1), F32_SUM),
    ("var_population_keepdim", lambda x: x.var(-1, correction=0, keepdim=True), F32_SUM),
    ("var_dims", lambda x: x.var((0, 2)), F32_SUM),
    ("std_all", torch.std, F32_SUM),
    ("std_dim", lambda x: x.std(0), F32_SUM),
    ("std_population", lambda x: x.std(-1, unbiased=False), F32_SUM),
    ("var_mean", lambda x: torch.var_mean(x, 1), F32_SUM),
    ("logsumexp_last", lambda x: x.logsumexp(-1), F32_SUM),
    ("logsumexp_dim0_keepdim", lambda x: x.logsumexp(0, keepdim=True), F32_SUM),
    ("logsumexp_dims", lambda x: x.logsumexp((1, 2)), F32_SUM),
    ("prod_all", torch.prod, F32_SUM),
    ("prod_dim", lambda x: x.prod(1), F32_SUM),
    ("prod_keepdim", lambda x: x.prod(-1, keepdim=True), F32_SUM),
    ("norm_l2", lambda x: torch.linalg.vector_norm(x, dim=-1), F32_SUM),
    ("norm_l1", lambda x: torch.linalg.vector_norm(x, ord=1, dim=(0, 1)), F32_SUM),
    ("norm_frobenius", torch.norm, F32_SUM),
    ("aminmax", lambda x: tuple(torch.aminmax(x, dim=1)), EXACT),
]

for name, f, tol in REDUCTIONS:
    case(name, fn(f), cube, tol=tol)

case("sum_2d_odd", fn(lambda x: x.sum(1)), lambda t: (t.randn(13, 37),), tol=F32_SUM)
case("mean_4d_spatial", fn(lambda x: x.mean((2, 3))), lambda t: (t.randn(2, 3, 5, 6),), tol=F32_SUM)
case("sum_long_row", fn(lambda x: x.sum(-1)), lambda t: (t.randn(2, 1000),), tol=F32_SUM)
case("sum_int64", fn(lambda x: x.sum(1)), lambda t: (t.randint(4, 6, low=-50, high=50),), tol=EXACT)
case("sum_bool_count", fn(lambda m: m.sum(-1)), lambda t: (t.bools(4, 6),), tol=EXACT)
case(
    "max_int64", fn(lambda x: x.amax(0)), lambda t: (t.randint(4, 6, low=-50, high=50),), tol=EXACT
)
case(
    "argmax_int64",
    fn(lambda x: x.argmax(1)),
    lambda t: (t.randint(4, 6, low=-50, high=50),),
    tol=EXACT,
)


def any_all_masks(t):
    """A mask whose rows and columns mix True and False, some starting with each."""
    rows = [[0, 1, 0, 1], [1, 1, 1, 1], [1, 0, 1, 1], [0, 0, 0, 0], [1, 1, 0, 1]]
    return (torch.tensor(rows, dtype=torch.bool),)


case("any", fn(lambda m: m.any(1).int()), any_all_masks, tol=EXACT)
case("all", fn(lambda m: m.all(0).int()), any_all_masks, tol=EXACT)
case("prod_int", fn(lambda x: x.prod(1)), lambda t: (t.randint(3, 4, low=1, high=4),), tol=EXACT)
case(
    "count_nonzero",
    fn(lambda x: torch.count_nonzero(x, dim=1)),
    lambda t: (t.randint(3, 6, high=3),),
    tol=EXACT,
)
case(
    "sum_dtype_float",
    fn(lambda x: x.sum(1, dtype=torch.float32)),
    lambda t: (t.randint(3, 6, high=9),),
    tol=EXACT,
)
case("mean_of_squares", fn(lambda x: (x * x).mean(-1, keepdim=True)), cube, tol=F32_SUM)
