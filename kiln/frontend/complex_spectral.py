"""FFTs and the STFT on complex pairs, as matmuls with DFT matrices made at compile time.

A transform of length ``n`` along one dimension is one matmul: the dimension
is moved last, each (real, imaginary) pair of it is flattened into the row
(``[..., 2n]``), and multiplied by a ``[2n, 2k]`` matrix of 2x2 blocks
``[[cos, s*sin], [-s*sin, cos]]`` (``s`` the transform's sign) whose columns
come out as the result's pairs. Real inputs (``rfft``) use ``[n, 2k]``,
real outputs (``irfft``) ``[2m, n]`` with Hermitian weights. ``fftn`` is one
such transform per dimension; the STFT gathers its frames with constant
indices, applies the window, and transforms each frame the same way.

Cost and accuracy: O(n²) multiply-adds per transformed vector, where an FFT
takes O(n log n): about 4n² flops, 0.5 MFLOP for n = 512, fast enough at the
lengths models transform (FNet's sequence and hidden sizes, STFT frames of
400-1024) and run through kiln's tuned matmul. The matrices are computed in
float64 from the exact integer phase ``j*k mod n`` and rounded once to the
part dtype; the error of a result is that of a length-n dot product, about
``eps * sqrt(n) * max|x|`` (~1e-6 relative for float32 at n = 1024).
"""

from __future__ import annotations

import math

import numpy as np
import torch

from kiln.frontend.complex_emitter import Emitter, Refused

aten = torch.ops.aten


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


def _scale(norm: str | None, n: int, inverse: bool) -> float:
    if norm == "ortho":
        return 1.0 / math.sqrt(n)
    if norm == "forward":
        return 1.0 if inverse else 1.0 / n
    if norm in (None, "backward"):
        return 1.0 / n if inverse else 1.0
    raise Refused(f"norm={norm!r}")


def _resized(e: Emitter, x, dim: int, length: int):
    """``x`` cut or zero-padded to ``length`` along complex dim ``dim``."""
    size = e.val(x).shape[dim]
    if size == length:
        return x
    if size > length:
        return e.op(aten.slice.Tensor, x, dim, 0, length, 1)
    after = e.val(x).dim() - 1 - dim
    return e.op(aten.constant_pad_nd.default, x, [0, 0] * after + [0, length - size], 0.0)


def transform(e: Emitter, x, dim: int, rows: int, matrix: np.ndarray, key: tuple):
    """``x`` (pair or real) along complex dim ``dim``, resized to ``rows`` elements, times
    ``matrix``; the result is a pair when the matrix has pair columns (``key[0]`` != c2r)."""
    pair_in, pair_out = e.is_pair(x), key[0] != "c2r"
    last = e.rank(x) - 1
    x = _resized(e, x, dim, rows)
    if dim != last:
        x = e.op(aten.transpose.int, x, dim, last)
    if pair_in:
        x = e.op(aten.clone.default, x, memory_format=torch.contiguous_format)
        x = e.op(aten.view.default, x, [*e.val(x).shape[:-2], 2 * rows])
    constant = e.constant(torch.from_numpy(matrix).to(e.val(x).dtype), key=(*key, e.val(x).dtype))
    out = e.op(aten.matmul.default, x, constant)
    if pair_out:
        out = e.op(aten.view.default, out, [*e.val(out).shape[:-1], matrix.shape[1] // 2, 2])
        e.pairs.add(out)
    if dim != last:
        out = e.op(aten.transpose.int, out, dim, last)
        if pair_out:
            e.pairs.add(out)
    return out


def _static(e: Emitter, x, dim: int) -> int:
    size = e.val(x).shape[dim]
    if not isinstance(size, int):
        raise Refused("a transform along a dimension of symbolic size")
    return size


def fft_1d(e: Emitter, x, dim: int, n: int | None, norm, inverse: bool):
    """fft / ifft of a pair or a real tensor along complex dim ``dim``."""
    n = n or _static(e, x, dim)
    sign, scale = (1 if inverse else -1), _scale(norm, n, inverse)
    if e.is_pair(x):
        return transform(e, x, dim, n, c2c_matrix(n, sign, scale), ("c2c", n, sign, scale))
    matrix = r2c_matrix(n, n, sign, scale)
    return transform(e, x, dim, n, matrix, ("r2c", n, n, sign, scale))


def _fft(e: Emitter, node):
    a = e.arguments(node)
    x = a["self"]
    dim = a["dim"] % e.rank(x)
    return fft_1d(e, x, dim, a["n"], a["norm"], node.target == aten.fft_ifft.default)


def _rfft(e: Emitter, node):
    a = e.arguments(node)
    x = a["self"]
    if e.is_pair(x):
        raise Refused("rfft of a complex tensor (eager refuses it too)")
    dim = a["dim"] % e.rank(x)
    n = a["n"] or _static(e, x, dim)
    k, scale = n // 2 + 1, _scale(a["norm"], n, inverse=False)
    return transform(e, x, dim, n, r2c_matrix(n, k, -1, scale), ("r2c", n, k, -1, scale))


def _irfft(e: Emitter, node):
    a = e.arguments(node)
    x = e.as_pair(a["self"])
    dim = a["dim"] % e.rank(x)
    n = a["n"] or 2 * (_static(e, x, dim) - 1)
    scale = _scale(a["norm"], n, inverse=True)
    return transform(e, x, dim, n // 2 + 1, c2r_matrix(n, scale), ("c2r", n, scale))


def _fftn(e: Emitter, node):
    """fftn / ifftn / fft2 / ifft2: one 1-D transform per dimension (the scales multiply)."""
    a = e.arguments(node)
    x, sizes, dims = a["self"], a.get("s"), a.get("dim")
    rank = e.rank(x)
    if dims is None:
        dims = range(rank - len(sizes), rank) if sizes else range(rank)
    dims = [d % rank for d in dims]
    sizes = list(sizes) if sizes else [None] * len(dims)
    inverse = node.target in (aten.fft_ifftn.default, aten.fft_ifft2.default)
    for dim, n in zip(dims, sizes, strict=True):
        x = fft_1d(e, x, dim, n, a["norm"], inverse)
    return x


def _stft(e: Emitter, node):
    """stft of a real signal [L] or [B, L] (center padding is already in the graph)."""
    a = e.arguments(node)
    x, n_fft, window = a["self"], a["n_fft"], a["window"]
    if e.is_pair(x) or e.is_pair(window):
        raise Refused("stft of a complex signal or with a complex window")
    if a.get("align_to_window"):
        raise Refused("stft with align_to_window=True")
    hop, length = a["hop_length"] or n_fft // 4, _static(e, x, e.rank(x) - 1)
    frames = 1 + (length - n_fft) // hop
    starts = torch.arange(frames)[:, None] * hop + torch.arange(n_fft)[None, :]
    index = e.constant(starts, key=("frames", frames, n_fft, hop))
    x = e.op(aten.index.Tensor, x, [None] * (e.rank(x) - 1) + [index])
    window = _padded_window(e, window, a["win_length"] or n_fft, n_fft, e.val(x).dtype)
    if window is not None:
        x = e.op(aten.mul.Tensor, x, window)
    onesided = True if a["onesided"] is None else a["onesided"]
    k, scale = (n_fft // 2 + 1 if onesided else n_fft), (n_fft**-0.5 if a["normalized"] else 1.0)
    rank = e.rank(x)
    out = transform(
        e, x, rank - 1, n_fft, r2c_matrix(n_fft, k, -1, scale), ("r2c", n_fft, k, -1, scale)
    )
    return e.op(aten.transpose.int, out, rank - 2, rank - 1)


def _padded_window(e: Emitter, window, win_length: int, n_fft: int, dtype):
    """The window centered in n_fft samples (ones when None); None for a rectangular one."""
    left = (n_fft - win_length) // 2
    pad = [left, n_fft - win_length - left]
    if window is None:
        if win_length == n_fft:
            return None
        ones = torch.nn.functional.pad(torch.ones(win_length, dtype=dtype), pad)
        return e.constant(ones, key=("window", win_length, n_fft, dtype))
    if win_length == n_fft:
        return window
    return e.op(aten.constant_pad_nd.default, window, pad, 0.0)


SPECTRAL_OPS = {
    aten.fft_fft.default: _fft,
    aten.fft_ifft.default: _fft,
    aten.fft_rfft.default: _rfft,
    aten.fft_irfft.default: _irfft,
    aten.fft_fftn.default: _fftn,
    aten.fft_ifftn.default: _fftn,
    aten.fft_fft2.default: _fftn,
    aten.fft_ifft2.default: _fftn,
    aten.stft.default: _stft,
}
