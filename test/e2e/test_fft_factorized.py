"""FFTs of every length kind (issue: FFTs below O(n^2)), compared with eager torch.fft.

Lengths: 2 and 3 (dense), 12 (dense: below the crossover), 97 (prime: dense), 128,
768, 1000 and 1024 (four-step, 768 = 24*32). Tolerance: float32 parts within
``2e-6 * sqrt(n) * log2(n)`` of eager relative to the result's largest value, a
bound the dense matrices also meet (``complex_dft.py`` states the error bounds),
float64 parts within 1e-12 relative. The thresholds that pick the four-step form
are checked on the graph: a test forces it where it would not run by default.
"""

from __future__ import annotations

import math

import pytest
import torch

import kiln
from kiln.frontend.complex_pairs import lower_complex

LENGTHS = [2, 3, 12, 97, 128, 768, 1000, 1024]
NORMS = [None, "ortho", "forward"]


def _tol(n: int, dtype: torch.dtype) -> float:
    if dtype in (torch.float64, torch.complex128):
        return 1e-12
    return 2e-6 * math.sqrt(n) * max(1.0, math.log2(n))


def _assert_close(got, want, n: int):
    """Normwise: max |got - want| <= tol * max |want|, eager's dtype and shape."""
    assert got.dtype == want.dtype and got.shape == want.shape, (got.dtype, got.shape)
    scale = want.abs().max().item()
    error = (got - want).abs().max().item()
    assert error <= _tol(n, want.dtype) * scale, (n, error, scale)


def _check(fn, x, n: int):
    got = kiln.compile(fn, x, threads=1)(x)
    want = fn(x)
    for g, w in zip(got, want, strict=True):
        _assert_close(g, w, n)


@pytest.mark.parametrize("n", LENGTHS)
@pytest.mark.parametrize("norm", NORMS)
def test_fft_ifft_of_complex_along_last_and_middle_dims(n, norm):
    def f(z):
        return (
            torch.fft.fft(z, dim=-1, norm=norm),
            torch.fft.ifft(z, dim=-1, norm=norm),
            torch.fft.fft(z.transpose(1, 2), dim=-2, norm=norm),
        )

    _check(f, torch.randn(2, 3, n, dtype=torch.complex64), n)


@pytest.mark.parametrize("n", LENGTHS)
@pytest.mark.parametrize("norm", NORMS)
def test_fft_rfft_irfft_of_real_input(n, norm):
    def f(x):
        spectrum = torch.fft.rfft(x, norm=norm)
        return (
            torch.fft.fft(x, norm=norm),
            spectrum,
            torch.fft.ifft(x.transpose(0, 1), dim=-2, norm=norm),
            torch.fft.irfft(spectrum, n=n, norm=norm),
        )

    _check(f, torch.randn(4, n), n)


@pytest.mark.parametrize("shape", [(128, 768), (24, 1000), (97, 12)])
def test_fftn_fft2_ifftn(shape):
    def f(x):
        z = torch.fft.fft2(x)
        return z, torch.fft.ifftn(z, norm="ortho"), torch.fft.fftn(x, dim=(0, 1)).real

    _check(f, torch.randn(*shape), max(shape))


def test_complex128_four_step():
    def f(z):
        return torch.fft.fft(z), torch.fft.ifft(z, norm="ortho")

    _check(f, torch.randn(3, 768, dtype=torch.complex128), 768)


def test_stft_with_a_factorized_frame():
    def f(signal):
        window = torch.hann_window(512)
        spec = torch.stft(signal, 512, hop_length=128, window=window, return_complex=True)
        return (spec.abs(),)

    _check(f, torch.randn(2, 4000), 512)


class _Fft(torch.nn.Module):
    def forward(self, z):
        return torch.fft.fft(z)


def _matmuls(z) -> int:
    """The matmuls (DFT steps) of fft(z) after the complex rewrite."""
    program = torch.export.export(_Fft(), (z,))
    lower_complex(program)
    return sum(node.target == torch.ops.aten.mm.default for node in program.graph.nodes)


@pytest.mark.parametrize(
    ("n", "matmuls"),
    [(768, 2), (1024, 2), (12, 1), (97, 1), (2 * 97, 1), (4096, 2)],
)
def test_which_lengths_factorize(n, matmuls):
    """Composite lengths past the crossover take two matmuls; short, prime and lopsided
    (2 * prime) ones keep one dense matmul."""
    assert _matmuls(torch.randn(n, dtype=torch.complex64)) == matmuls
