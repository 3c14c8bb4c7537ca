"""DFTs along a tensor's last axis: one dense matmul, or Cooley-Tukey's four-step form.

A dense DFT of length ``n`` is one matmul with a ``[2n, 2n]`` matrix
(``dft_matrices.py``): about 8n² flops per complex vector. For ``n = n1*n2``
(``n1 <= n2``, ``n1`` the largest divisor up to ``sqrt(n)``) the four-step form
does the same transform in two smaller matmuls:

1. view the axis as ``[n1, n2]`` (``j = n2*j1 + j2``) and move ``j1`` last;
2. a DFT of length ``n1`` along it (a ``[2n1, 2n1]`` matmul): ``[j2, k1]``;
3. multiply by the twiddles ``W_n^(j2*k1)`` (a constant elementwise complex product);
4. move ``j2`` last and DFT it (length ``n2``): ``[k1, k2]``;
5. move ``k1`` last: ``k = k1 + n1*k2`` is then natural order, and the axis is
   viewed back as ``[n]``.

That costs about ``8n(n1 + n2)`` flops (n = 768 = 24*32: 13.7x fewer than
dense) plus three transposes of the data. Each step is itself a DFT of the
last axis, so a factor that is large and composite is factorized again (the
same rule decides). Prime lengths, lengths with only a lopsided split, and
small lengths, where the dense matmul is faster than two matmuls and three
transposes, keep the dense matrix: the thresholds below were measured
(``benchmarks/fft_crossover.py``). A real input's first step uses the real
``[n1, 2n1]`` matrix, half the work of a pair's.

Accuracy: the matrices and twiddles are computed in float64 from exact integer
phases and rounded once to the part dtype (``dft_matrices.py``). A result
element passes through a length-``n1`` dot product, one complex product and a
length-``n2`` dot product: its error is at most about
``eps * (n1 + n2 + 4) * sum|x|`` (``eps * n * sum|x|`` dense) and typically
``eps * (sqrt(n1) + sqrt(n2) + 2) * ||x||_2``, below the dense form's
``eps * sqrt(n) * ||x||_2`` (``eps`` = 2^-24 for float32 parts).
"""

from __future__ import annotations

import math

import torch

from kiln.frontend.complex_emitter import Emitter
from kiln.frontend.dft_matrices import c2c_matrix, r2c_matrix, twiddles

aten = torch.ops.aten

# Lengths below these keep the dense matrix: the crossovers measured on a loaded 2-core
# Zen 3 (benchmarks/fft_crossover.py, 128 rows, 1 thread; dense/four-step time ratio at
# the two lengths each threshold sits between). A transform of pairs (c2c: 0.95x at 64,
# 1.27x at 96); all n frequencies of a real input, whose dense [n, 2n] matrix is half
# a c2c one (0.80x at 96, 1.09x at 128); the first n//2 + 1 frequencies of a real input
# (rfft, stft), whose dense [n, 2k] matrix is a quarter of it (0.98x at 256, 1.23x at 400).
FACTOR_C2C_FROM = 96
FACTOR_REAL_FROM = 128
FACTOR_R2C_FROM = 320


def split(n: int) -> tuple[int, int] | None:
    """``(n1, n2)``, ``n1*n2 = n``, ``n1`` the largest divisor <= sqrt(n); None when the
    split would not pay: ``n`` prime or too lopsided (n1 + n2 > n/4, e.g. 2*p)."""
    n1 = next((d for d in range(math.isqrt(n), 1, -1) if n % d == 0), None)
    if n1 is None or 4 * (n1 + n // n1) > n:
        return None
    return n1, n // n1


def dft(e: Emitter, x, n: int, k: int, sign: int, scale: float) -> torch.fx.Node:
    """The first ``k`` frequencies of the DFT of ``x`` (a pair or a real tensor) along its
    last axis, of length ``n``: a pair node. ``scale`` multiplies the result (the norm)."""
    factors = split(n) if n >= _factor_from(e.is_pair(x), n, k) else None
    if factors is None:
        return _dense(e, x, n, k, sign, scale)
    out = _four_step(e, x, n, factors, sign, scale)
    if k < n:
        out = _pair_op(e, aten.slice.Tensor, out, e.rank(out) - 1, 0, k, 1)
    return out


def _factor_from(pair: bool, n: int, k: int) -> int:
    if pair:
        return FACTOR_C2C_FROM
    return FACTOR_REAL_FROM if k == n else FACTOR_R2C_FROM


def _dense(e: Emitter, x, n: int, k: int, sign: int, scale: float):
    """One matmul: pair rows flattened to ``[..., 2n]`` times ``[2n, 2k]`` (reals: ``[n, 2k]``)."""
    lead = list(e.val(x).shape[: e.rank(x) - 1])
    if e.is_pair(x):
        assert k == n, "a c2c matrix keeps every frequency"
        matrix, key = c2c_matrix(n, sign, scale), ("c2c", n, sign, scale)
    else:
        matrix, key = r2c_matrix(n, k, sign, scale), ("r2c", n, k, sign, scale)
    # Rows flattened: aten.matmul of a 3-D tensor and a matrix imports as a batch
    # matmul with the matrix broadcast (copied) to every batch.
    x = e.op(aten.view.default, _contiguous(e, x), [-1, matrix.shape[0]])
    dtype = e.val(x).dtype
    constant = e.constant(torch.from_numpy(matrix).to(dtype), key=(*key, dtype))
    out = e.op(aten.mm.default, x, constant)
    return _pair_op(e, aten.view.default, out, [*lead, k, 2])


def _four_step(e: Emitter, x, n: int, factors: tuple[int, int], sign: int, scale: float):
    """Steps 1-5 of the module docstring; the norm's scale goes into the first DFT."""
    n1, n2 = factors
    axis, parts = e.rank(x) - 1, ([2] if e.is_pair(x) else [])
    lead = list(e.val(x).shape[:axis])
    x = e.op_like(x, aten.view.default, _contiguous(e, x), [*lead, n1, n2, *parts])
    x = e.op_like(x, aten.transpose.int, x, axis, axis + 1)  # [..., j2, j1]
    y = dft(e, x, n1, n1, sign, scale)  # [..., j2, k1]
    dtype = e.val(y).dtype
    table = torch.from_numpy(twiddles(n2, n1, sign)).to(dtype)
    y = e.product(y, _pair_constant(e, table, ("twiddles", n2, n1, sign, dtype)))
    y = _pair_op(e, aten.transpose.int, y, axis, axis + 1)  # [..., k1, j2]
    z = dft(e, y, n2, n2, sign, 1.0)  # [..., k1, k2]
    z = _pair_op(e, aten.transpose.int, z, axis, axis + 1)  # [..., k2, k1]
    return _pair_op(e, aten.view.default, _contiguous(e, z), [*lead, n, 2])


def _contiguous(e: Emitter, x):
    """``x`` itself when contiguous, else its contiguous copy (a pair stays a pair)."""
    if e.val(x).is_contiguous():
        return x
    return e.op_like(x, aten.clone.default, x, memory_format=torch.contiguous_format)


def _pair_op(e: Emitter, target, *args, **kwargs):
    node = e.op(target, *args, **kwargs)
    e.pairs.add(node)
    return node


def _pair_constant(e: Emitter, table: torch.Tensor, key: tuple):
    node = e.constant(table, key=key)
    e.pairs.add(node)
    return node
