"""FFTs and the STFT on complex pairs, as matmuls with DFT matrices made at compile time.

Each 1-D transform moves its dimension last and runs a DFT along it
(``complex_dft.py``): one matmul with a dense DFT matrix for short or prime
lengths, Cooley-Tukey's four-step form (two smaller matmuls and a twiddle
product) for long composite ones. Complex inputs use ``[2n, 2n]`` pair
matrices, real inputs (``rfft``, ``stft``, ``fft`` of a real tensor) ``[n, 2k]``
ones; ``irfft`` (real outputs) is one dense ``[2m, n]`` matmul with Hermitian
weights. ``fftn`` is one such transform per dimension; the STFT gathers its
frames with constant indices, applies the window, and transforms each frame.

Accuracy: every matrix and twiddle is computed in float64 from an exact
integer phase and rounded once to the part dtype (``dft_matrices.py``); the
error bounds are in ``complex_dft.py`` (about ``eps * sqrt(n) * ||x||_2`` dense,
less factorized: ~1e-6 relative for float32 at n = 1024).
"""

from __future__ import annotations

import math

import torch

from kiln.frontend.complex_dft import dft
from kiln.frontend.complex_emitter import Emitter, Refused
from kiln.frontend.dft_matrices import c2c_matrix, c2r_matrix, r2c_matrix

__all__ = ["SPECTRAL_OPS", "c2c_matrix", "c2r_matrix", "r2c_matrix", "transform"]

aten = torch.ops.aten


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
        return e.op_like(x, aten.slice.Tensor, x, dim, 0, length, 1)
    after = e.val(x).dim() - 1 - dim
    pad = [0, 0] * after + [0, length - size]
    return e.op_like(x, aten.constant_pad_nd.default, x, pad, 0.0)


def transform(e: Emitter, x, dim: int, rows: int, along_last) -> torch.fx.Node:
    """``x`` (pair or real) resized to ``rows`` elements along complex dim ``dim``, which is
    moved last for ``along_last(x)`` (a DFT, from the node of ``x`` to the result's node)
    and moved back in the result."""
    last = e.rank(x) - 1
    x = _resized(e, x, dim, rows)
    if dim != last:
        x = e.op_like(x, aten.transpose.int, x, dim, last)
    out = along_last(x)
    if dim != last:
        out = e.op_like(out, aten.transpose.int, out, dim, last)
    return out


def _c2r(e: Emitter, x, n: int, scale: float):
    """A half spectrum's pairs along the last axis to the ``n`` reals of its inverse."""
    rows = e.val(x).shape[-2]
    x = e.op(aten.clone.default, x, memory_format=torch.contiguous_format)
    x = e.op(aten.view.default, x, [*e.val(x).shape[:-2], 2 * rows])
    dtype = e.val(x).dtype
    matrix = torch.from_numpy(c2r_matrix(n, scale)).to(dtype)
    return e.op(aten.matmul.default, x, e.constant(matrix, key=("c2r", n, scale, dtype)))


def _static(e: Emitter, x, dim: int) -> int:
    size = e.val(x).shape[dim]
    if not isinstance(size, int):
        raise Refused("a transform along a dimension of symbolic size")
    return size


def fft_1d(e: Emitter, x, dim: int, n: int | None, norm, inverse: bool):
    """fft / ifft of a pair or a real tensor along complex dim ``dim``."""
    n = n or _static(e, x, dim)
    sign, scale = (1 if inverse else -1), _scale(norm, n, inverse)
    return transform(e, x, dim, n, lambda x: dft(e, x, n, n, sign, scale))


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
    return transform(e, x, dim, n, lambda x: dft(e, x, n, k, -1, scale))


def _irfft(e: Emitter, node):
    a = e.arguments(node)
    x = e.as_pair(a["self"])
    dim = a["dim"] % e.rank(x)
    n = a["n"] or 2 * (_static(e, x, dim) - 1)
    scale = _scale(a["norm"], n, inverse=True)
    return transform(e, x, dim, n // 2 + 1, lambda x: _c2r(e, x, n, scale))


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
    out = transform(e, x, rank - 1, n_fft, lambda x: dft(e, x, n_fft, k, -1, scale))
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
