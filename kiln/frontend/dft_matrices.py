"""The constant matrices of kiln's DFTs, computed in float64 at compile time.

Every entry is cos or sin of ``2*pi*p/n`` for an exact integer phase
``p = (j*k) mod n``, so the only rounding is the one of the final cast to the
part dtype (half an ulp per entry); the phase itself is never accumulated.
Complex numbers are (real, imaginary) pairs: a pair row times a ``[2n, 2k]``
matrix of 2x2 blocks ``[[cos, s*sin], [-s*sin, cos]]`` is a complex product
with ``W = cos + i*s*sin`` (``s`` the transform's sign).
"""

from __future__ import annotations

import numpy as np


def _phases(rows: int, cols: int, n: int):
    """cos and sin of 2*pi*j*k/n for j < rows, k < cols, from the exact phase j*k mod n."""
    j, k = np.arange(rows)[:, None], np.arange(cols)[None, :]
    theta = 2.0 * np.pi * ((j * k) % n) / n
    return np.cos(theta), np.sin(theta)


def c2c_matrix(n: int, sign: int, scale: float) -> np.ndarray:
    """[2n, 2n]: pairs in, pairs out, W = cos + i*sign*sin."""
    cos, sin = _phases(n, n, n)
    m = np.empty((2 * n, 2 * n))
    m[0::2, 0::2], m[1::2, 1::2] = cos, cos
    m[0::2, 1::2], m[1::2, 0::2] = sign * sin, -sign * sin
    return m * scale


def r2c_matrix(n: int, k: int, sign: int, scale: float) -> np.ndarray:
    """[n, 2k]: reals in, the first ``k`` frequencies' pairs out."""
    cos, sin = _phases(n, k, n)
    m = np.empty((n, 2 * k))
    m[:, 0::2], m[:, 1::2] = cos, sign * sin
    return m * scale


def c2r_matrix(n: int, scale: float) -> np.ndarray:
    """[2m, n], m = n//2 + 1: a half spectrum's pairs in, the n reals of its inverse out.

    Frequencies 1..ceil(n/2)-1 stand for their conjugate mirror too (weight 2); the
    imaginary parts of frequency 0 and n/2 are ignored, as eager's irfft does.
    """
    m = n // 2 + 1
    cos, sin = _phases(m, n, n)
    weights = np.full((m, 1), 2.0)
    weights[0] = 1.0
    if n % 2 == 0:
        weights[-1] = 1.0
    out = np.empty((2 * m, n))
    out[0::2], out[1::2] = weights * cos, -weights * sin
    out[1] = 0.0
    if n % 2 == 0:
        out[2 * m - 1] = 0.0
    return out * scale


def twiddles(n2: int, n1: int, sign: int) -> np.ndarray:
    """[n2, n1, 2]: the pairs of W_n^(j2*k1), n = n1*n2, W_n = exp(i*sign*2*pi/n)."""
    cos, sin = _phases(n2, n1, n1 * n2)
    return np.stack([cos, sign * sin], axis=-1)
