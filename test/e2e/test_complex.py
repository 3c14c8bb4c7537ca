"""Complex tensors (issue 12 item 2): compiled as real pairs, compared with eager PyTorch.

Each model runs through ``kiln.compile`` and is compared with eager at an explicit
tolerance: float32 parts at 1e-5 for elementwise ops, FFTs (a length-n dot product
per output) at 2e-5 * n relative to the largest value; float64 parts at 1e-10.
"""

from __future__ import annotations

import inspect

import pytest
import torch
import torch.nn as nn

import kiln
from kiln.errors import InputMismatchError, UnsupportedOpsError


def _compiled(model, *inputs):
    return kiln.compile(model, *inputs, threads=1)


def _assert_matches(got, want, tol: float):
    """Same type, dtype and shape as eager, values within ``tol`` (absolute and relative)."""
    if isinstance(want, tuple):
        assert isinstance(got, tuple) and len(got) == len(want)
        for g, w in zip(got, want, strict=True):
            _assert_matches(g, w, tol)
        return
    assert got.dtype == want.dtype and got.shape == want.shape, (got.dtype, got.shape)
    assert got.is_contiguous()
    torch.testing.assert_close(got, want, rtol=tol, atol=tol)


# --- Meta's original LLaMA rotary embedding -----------------------------------------


def precompute_freqs_cis(dim: int, end: int, theta: float = 10000.0):
    freqs = 1.0 / (theta ** (torch.arange(0, dim, 2)[: (dim // 2)].float() / dim))
    t = torch.arange(end, device=freqs.device)
    freqs = torch.outer(t, freqs).float()
    return torch.polar(torch.ones_like(freqs), freqs)  # complex64


def reshape_for_broadcast(freqs_cis, x):
    shape = [d if i == 1 or i == x.ndim - 1 else 1 for i, d in enumerate(x.shape)]
    return freqs_cis.view(*shape)


class LlamaRotary(nn.Module):
    """``apply_rotary_emb`` of the original LLaMA: a complex64 ``freqs_cis`` buffer."""

    def __init__(self, head_dim: int = 16, max_len: int = 32):
        super().__init__()
        self.register_buffer("freqs_cis", precompute_freqs_cis(head_dim, max_len))

    def forward(self, xq, xk):
        seqlen = xq.shape[1]
        freqs_cis = self.freqs_cis[:seqlen]
        xq_ = torch.view_as_complex(xq.float().reshape(*xq.shape[:-1], -1, 2))
        xk_ = torch.view_as_complex(xk.float().reshape(*xk.shape[:-1], -1, 2))
        freqs_cis = reshape_for_broadcast(freqs_cis, xq_)
        xq_out = torch.view_as_real(xq_ * freqs_cis).flatten(3)
        xk_out = torch.view_as_real(xk_ * freqs_cis).flatten(3)
        return xq_out.type_as(xq), xk_out.type_as(xk)


def test_llama_rotary_with_a_polar_buffer():
    model = LlamaRotary()
    xq, xk = torch.randn(2, 8, 4, 16), torch.randn(2, 8, 2, 16)
    _assert_matches(_compiled(model, xq, xk)(xq, xk), model(xq, xk), 1e-5)
    assert model.freqs_cis.dtype == torch.complex64  # the module's own buffer is untouched


# --- complex inputs and outputs ----------------------------------------------------


def _complex(*shape, dtype=torch.complex64):
    return torch.randn(*shape, dtype=dtype)


@pytest.mark.parametrize(("dtype", "tol"), [(torch.complex64, 1e-5), (torch.complex128, 1e-10)])
def test_complex_inputs_and_outputs(dtype, tol):
    def f(z, w):
        return z * w + z.conj(), (z - w).abs(), torch.cat([z, w], dim=0).transpose(0, 1)

    z, w = _complex(3, 4, dtype=dtype), _complex(3, 4, dtype=dtype)
    _assert_matches(_compiled(f, z, w)(z, w), f(z, w), tol)


def test_inputs_are_untouched_and_conjugate_views_resolved():
    def f(z):
        return z * 2j + 1

    z = _complex(5)
    compiled = _compiled(f, z)
    before = z.clone()
    conj = z.conj()  # a lazily conjugated view: its memory holds z
    _assert_matches(compiled(conj), f(conj), 1e-5)
    assert torch.equal(z, before) and conj.is_conj()
    strided = _complex(5, 2)[:, 0]
    _assert_matches(compiled(strided), f(strided), 1e-5)


class Accumulator(nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("state", torch.zeros(4, dtype=torch.complex64))

    def forward(self, z):
        self.state.add_(z)
        return self.state * 1j


def test_complex_buffer_and_input_written_back():
    model, eager = Accumulator(), Accumulator()
    z = _complex(4)
    compiled = _compiled(model, z)
    for _ in range(2):
        _assert_matches(compiled(z), eager(z), 1e-5)
        torch.testing.assert_close(model.state, eager.state, rtol=1e-5, atol=1e-5)

    def double(w):
        return w.mul_(2)

    a = _complex(3)
    b = a.clone()
    assert _compiled(double, a.clone())(a) is a  # eager returns the input itself
    torch.testing.assert_close(a, double(b), rtol=1e-6, atol=1e-6)


def test_dynamic_batch():
    compiled = kiln.compile(
        lambda z: z * z.conj(),
        _complex(3, 4),
        threads=1,
        dynamic_shapes={"z": {0: torch.export.Dim("n")}},
    )
    z = _complex(5, 4)
    _assert_matches(compiled(z), z * z.conj(), 1e-5)


def test_complex_from_parts_and_back():
    def f(a, b):
        z = torch.complex(a, b)
        return z.real * 2 - z.imag, z.to(torch.complex128), torch.view_as_real(z * z)

    a, b = torch.randn(4, 3), torch.randn(3)
    _assert_matches(_compiled(f, a, b)(a, b), f(a, b), 1e-5)


@pytest.mark.parametrize(
    "op",
    [
        lambda z, w: z * w,
        lambda z, w: z / w,
        lambda z, w: z * w.real,  # complex times real
        lambda z, w: z.abs(),
        lambda z, w: z.angle(),
        lambda z, w: torch.exp(z),
        lambda z, w: z**2 + z**0.5,
        lambda z, w: (z - w).sum(dim=1) + z.mean(),
        lambda z, w: torch.polar(z.abs(), w.angle()),
    ],
    ids=["mul", "div", "mul_real", "abs", "angle", "exp", "pow", "sum_mean", "polar"],
)
def test_elementwise(op):
    z, w = _complex(3, 5), _complex(3, 5)
    _assert_matches(_compiled(op, z, w)(z, w), op(z, w), 1e-5)


def test_norms_of_a_complex_tensor():
    def f(z):
        return (
            torch.linalg.vector_norm(z, dim=-1),
            torch.linalg.vector_norm(z, ord=1),
            z.norm(),
            torch.linalg.norm(z, dim=[0], keepdim=True),
            torch.linalg.norm(z, ord="fro"),
        )

    z = _complex(4, 6)
    _assert_matches(_compiled(f, z)(z), f(z), 1e-5)


# --- spectral ops --------------------------------------------------------------------


def _spectrum_tol(n: int) -> float:
    return 2e-5 * n


@pytest.mark.parametrize("n", [64, 100])
@pytest.mark.parametrize("norm", [None, "ortho", "forward"])
def test_fft_ifft_rfft_irfft(n, norm):
    def f(x, z):
        return (
            torch.fft.fft(z, norm=norm),
            torch.fft.ifft(z, norm=norm),
            torch.fft.fft(x, norm=norm),
            torch.fft.rfft(x, norm=norm),
            torch.fft.irfft(torch.fft.rfft(x), n=n, norm=norm),
            torch.fft.irfft(z[:, : n // 2 + 1], norm=norm),
        )

    x, z = torch.randn(3, n), _complex(3, n)
    _assert_matches(_compiled(f, x, z)(x, z), f(x, z), _spectrum_tol(n))


def test_fft_along_a_middle_dim_with_padding_and_cropping():
    def f(x):
        return torch.fft.fft(x, n=12, dim=1), torch.fft.rfft(x, n=6, dim=1)

    x = torch.randn(2, 9, 3)
    _assert_matches(_compiled(f, x)(x), f(x), _spectrum_tol(12))


class FNetMixing(nn.Module):
    """HF FNet's Fourier token mixing: fftn over the sequence and hidden dims, real part."""

    def forward(self, hidden_states):
        return torch.fft.fftn(hidden_states, dim=(1, 2)).real


def test_fftn_over_two_dims_fnet():
    x = torch.randn(2, 16, 32)
    _assert_matches(_compiled(FNetMixing(), x)(x), FNetMixing()(x), _spectrum_tol(16 * 32))


def test_fftn_complex128():
    def f(z):
        return torch.fft.ifftn(torch.fft.fftn(z), norm="ortho")

    z = _complex(4, 6, dtype=torch.complex128)
    _assert_matches(_compiled(f, z)(z), f(z), 1e-10)


@pytest.mark.parametrize("batch", [(), (2,)])
def test_stft_magnitude(batch):
    def f(signal):
        window = torch.hann_window(64)
        spec = torch.stft(
            signal,
            64,
            hop_length=16,
            window=window,
            center=True,
            onesided=True,
            return_complex=True,
        )
        return spec.abs()

    signal = torch.randn(*batch, 400)
    _assert_matches(_compiled(f, signal)(signal), f(signal), _spectrum_tol(64))


def test_stft_short_window_normalized_two_sided():
    def f(signal):
        spec = torch.stft(
            signal,
            16,
            hop_length=5,
            win_length=10,
            window=torch.ones(10),
            normalized=True,
            onesided=False,
            center=False,
            return_complex=True,
        )
        return spec

    signal = torch.randn(3, 80)
    _assert_matches(_compiled(f, signal)(signal), f(signal), _spectrum_tol(16))


# --- what stays refused, and calling with the wrong input ------------------------------


class ComplexSqrt(nn.Module):
    def forward(self, z):
        return torch.sqrt(z * 2)


def test_an_op_without_a_rewrite_is_refused_at_its_line():
    with pytest.raises(UnsupportedOpsError) as info:
        _compiled(ComplexSqrt(), _complex(4))
    (op,) = info.value.ops
    assert op.op == "aten.sqrt.default" and "complex" in op.reason, op
    lines, first = inspect.getsourcelines(ComplexSqrt)
    line = first + next(i for i, text in enumerate(lines) if "torch.sqrt(" in text)
    assert op.location.startswith(f"{__file__}:{line}:"), op


def test_a_wrong_complex_input_names_the_users_shape():
    compiled = _compiled(lambda z: z * 2, _complex(3, 4))
    with pytest.raises(
        InputMismatchError, match=r"input 0: expected complex64\[3, 4\], got float32\[3, 4, 2\]"
    ):
        compiled(torch.randn(3, 4, 2))
    with pytest.raises(
        InputMismatchError, match=r"expected complex64\[3, 4\], got complex64\[4, 3\]"
    ):
        compiled(_complex(4, 3))
    with pytest.raises(InputMismatchError, match=r"got complex128\[3, 4\]"):
        compiled(_complex(3, 4, dtype=torch.complex128))
