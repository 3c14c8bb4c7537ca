"""What numpy computes for each generated function (see ``generate``), in float32."""

from __future__ import annotations

import numpy as np
from numpy.lib.stride_tricks import sliding_window_view


def evaluate(recipe: tuple, inputs: list[np.ndarray]) -> list[np.ndarray]:
    """The outputs of the function ``recipe`` describes, on ``inputs``."""
    kind, *params = recipe
    with np.errstate(all="ignore"):  # inf and NaN are compared like any value
        return [_EVALUATORS[kind](inputs, *params).astype(np.float32)]


def _elementwise(inputs, shape, b_dims, steps):
    a, b = inputs
    b_full = b.reshape([shape[i] if i in b_dims else 1 for i in range(len(shape))])
    values = [a, np.broadcast_to(b_full, shape)]
    for op, lhs, rhs in steps:
        values.append(_apply(op, values[lhs], values[rhs]))
    return np.asarray(values[-1], dtype=np.float32)


def _apply(op: str, x, y):
    table = {
        "addf": lambda: x + y,
        "mulf": lambda: x * y,
        "subf": lambda: x - y,
        "maximumf": lambda: np.maximum(x, y),
        "minimumf": lambda: np.minimum(x, y),
        "divf": lambda: x / y,
        "negf": lambda: -x,
        "exp": lambda: np.exp(x),
        "tanh": lambda: np.tanh(x),
        "absf": lambda: np.abs(x),
        "sqrt_abs": lambda: np.sqrt(np.abs(x)),
        "select_gt": lambda: np.where(x > y, x, y),
    }
    return table[op]().astype(np.float32)


def _matmul(inputs, transpose_b, epilogue):
    a, b, *bias = inputs
    out = a @ (b.T if transpose_b else b)
    if epilogue != "none":
        out = out + bias[0]
    if epilogue == "bias_relu":
        out = np.maximum(out, 0)
    return out


def _reduce(inputs, kind, dims):
    (a,) = inputs
    if kind == "sum":
        return a.sum(axis=dims, dtype=np.float64)
    return a.max(axis=dims, initial=-np.inf)


def _windows(x, kh, kw, stride):
    return sliding_window_view(x, (kh, kw), axis=(2, 3))[:, :, ::stride, ::stride]


def _conv(inputs, stride):
    x, w = inputs
    f, _, kh, kw = w.shape
    windows = _windows(x, kh, kw, stride)
    return np.einsum("ncpqij,fcij->nfpq", windows, w, dtype=np.float64)


def _pool_max(inputs, kh, kw, stride):
    (x,) = inputs
    return _windows(x, kh, kw, stride).max(axis=(4, 5), initial=-np.inf)


_EVALUATORS = {
    "elementwise": _elementwise,
    "matmul": _matmul,
    "batch_matmul": lambda inputs: np.matmul(*inputs),
    "reduce": _reduce,
    "conv": _conv,
    "pool_max": _pool_max,
    "transpose": lambda inputs, perm: np.transpose(inputs[0], perm),
}


def compare(actual: list[np.ndarray], expected: list[np.ndarray], rtol: float, atol: float) -> str:
    """'' when every output matches (NaN where NaN, same infinities), else what differs.

    The absolute tolerance scales with the largest finite expected value, so a
    sum of many terms is compared at the precision float32 can give it.
    """
    if len(actual) != len(expected):
        return f"{len(actual)} outputs, expected {len(expected)}"
    for i, (got, want) in enumerate(zip(actual, expected, strict=True)):
        got = np.asarray(got)
        if got.shape != want.shape:
            return f"output {i}: shape {got.shape}, expected {want.shape}"
        finite = np.abs(want[np.isfinite(want)])
        scale = max(1.0, float(finite.max())) if finite.size else 1.0
        close = np.isclose(got, want, rtol=rtol, atol=atol * scale, equal_nan=True)
        if not close.all():
            bad = np.argwhere(~close)[0]
            where = tuple(int(j) for j in bad)
            return f"output {i}{list(where)}: got {got[where]!r}, expected {want[where]!r}"
    return ""
