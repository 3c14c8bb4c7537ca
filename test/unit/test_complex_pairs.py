"""The complex rewrite itself: DFT matrices against NumPy's FFT, and the rewritten graph
(no complex value left, lifted complex state stored as its pair, refusals named)."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from kiln.errors import UnsupportedOpsError
from kiln.frontend.complex_pairs import lower_complex
from kiln.frontend.complex_spectral import c2c_matrix, c2r_matrix, r2c_matrix
from kiln.frontend.decompositions import decomposition_table
from kiln.frontend.export import as_module, decomposed_program


def _interleaved(z: np.ndarray) -> np.ndarray:
    return np.stack([z.real, z.imag], axis=-1).reshape(*z.shape[:-1], -1)


def _complex_of(pairs: np.ndarray) -> np.ndarray:
    pairs = pairs.reshape(*pairs.shape[:-1], -1, 2)
    return pairs[..., 0] + 1j * pairs[..., 1]


@pytest.mark.parametrize("n", [1, 2, 7, 64, 100])
def test_c2c_matrix_is_the_dft(n):
    z = np.random.default_rng(n).standard_normal((3, n)) * (1 + 0.5j)
    np.testing.assert_allclose(
        _complex_of(_interleaved(z) @ c2c_matrix(n, -1, 1.0)), np.fft.fft(z), atol=1e-10 * n
    )
    np.testing.assert_allclose(
        _complex_of(_interleaved(z) @ c2c_matrix(n, 1, 1.0 / n)), np.fft.ifft(z), atol=1e-10
    )


@pytest.mark.parametrize("n", [1, 2, 7, 64, 100])
def test_real_matrices_are_rfft_and_irfft(n):
    x = np.random.default_rng(n).standard_normal((3, n))
    k = n // 2 + 1
    np.testing.assert_allclose(
        _complex_of(x @ r2c_matrix(n, k, -1, 1.0)), np.fft.rfft(x), atol=1e-10 * n
    )
    spectrum = np.fft.rfft(x) + 1j  # imaginary parts of DC (and Nyquist) are ignored
    np.testing.assert_allclose(
        _interleaved(spectrum) @ c2r_matrix(n, 1.0 / n), np.fft.irfft(spectrum, n=n), atol=1e-10
    )


class Rotary(torch.nn.Module):
    def __init__(self):
        super().__init__()
        self.register_buffer("freqs", torch.polar(torch.ones(4), torch.arange(4.0)))

    def forward(self, x, z):
        rotated = torch.view_as_complex(x) * self.freqs * z
        return torch.view_as_real(rotated), torch.fft.fft(rotated)


def _program(model, *inputs):
    return decomposed_program(as_module(model), inputs, decomposition_table())


def test_no_complex_value_is_left():
    model = Rotary()
    program = _program(model, torch.randn(4, 2), torch.randn(4, dtype=torch.complex128))
    signature = lower_complex(program)
    for node in program.graph.nodes:
        val = node.meta.get("val")
        assert not (isinstance(val, torch.Tensor) and val.is_complex()), node.format_node()
    assert signature.inputs["z"] == (torch.complex128, (4,))  # the user's dtype and shape
    assert program.state_dict["freqs"].shape == (4, 2)  # the buffer stored as its pair
    assert model.freqs.dtype == torch.complex64  # the module's own buffer untouched
    matmuls = [n for n in program.graph.nodes if n.target == torch.ops.aten.mm.default]
    assert len(matmuls) == 1  # the DFT: one matmul with a lifted constant matrix
    assert program.constants[matmuls[0].args[1].name].shape == (8, 8)
    pairs, fft = program.graph.output_node().args[0]
    assert fft in signature.pairs and pairs not in signature.pairs


def test_a_program_without_complex_values_is_unchanged():
    program = _program(lambda x: x.sin() * 2, torch.randn(3))
    before = [node.format_node() for node in program.graph.nodes]
    assert lower_complex(program).pairs == set()
    assert [node.format_node() for node in program.graph.nodes] == before


def test_ops_without_a_rewrite_are_all_named():
    program = _program(
        lambda z: (torch.sqrt(z), torch.sigmoid(z.abs() + z)), torch.randn(3, dtype=torch.complex64)
    )
    with pytest.raises(UnsupportedOpsError) as info:
        lower_complex(program)
    names = [op.op for op in info.value.ops]
    assert names == ["aten.sqrt.default", "aten.sigmoid.default"], names
    assert all("no real-pair rewrite" in op.reason for op in info.value.ops)
