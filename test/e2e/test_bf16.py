"""precision="bf16": contractions and convolutions as AVX512-BF16 dot products (vdpbf16ps) accumulating in f32,
compared with f32 eager PyTorch; the library really holds vdpbf16ps; a CPU without
avx512_bf16 is a clear error.

Tolerance rule (u = 2**-8, the unit roundoff of bf16's 8-bit significand):
- one contraction y = sum_k a_k * b_k of depth K: rounding a and b to bf16 gives each
  product a relative error of at most 2u + u**2; the products are exact in f32 and the
  f32 sum of K terms adds at most K * 2**-24 relative to sum_k |a_k * b_k|. So, per
  output: |y_bf16 - y| <= (2.01u + K * 2**-24) * sum_k |a_k| * |b_k|
  (``test_matmul_depths``, checked element by element, K from 1 to 4096);
- a model: with terms of random sign the error of an output grows like sqrt(K) like
  the output itself, so relative to the output's scale each contraction layer adds
  about 2u, and the layers on the path add up. Rule: max|y_bf16 - y| <= 4u * L * max|y|,
  L the contraction layers on the longest path (a factor 2 margin over 2u per layer).
"""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import numpy as np
import pytest
import torch

import kiln
from kiln import targets
from kiln.errors import OptionError
from kiln.zoo import ZOO

U = 2.0**-8  # bf16 unit roundoff
HAS_BF16 = "avx512_bf16" in targets.host_features()
needs_bf16 = pytest.mark.skipif(not HAS_BF16, reason="the host CPU has no avx512_bf16")

# Contraction layers on each zoo model's longest path (Linear, matmul, convolution).
LAYERS = {"mlp": 3, "cnn": 3, "resnet18": 18, "encoder": 5, "gpt2": 6}


@needs_bf16
@pytest.mark.parametrize("name", list(LAYERS))
def test_zoo_model_bf16(name):
    model, inputs = ZOO[name].make()
    compiled = kiln.compile(model, *inputs, threads=2, precision="bf16")
    with torch.no_grad():
        ref = model(*inputs)
    got = compiled(*inputs)
    assert got.dtype == ref.dtype == torch.float32
    scale = ref.abs().max().item()
    err = (got - ref).abs().max().item() / scale
    print(f"{name}: max |bf16 - f32 eager| / max |f32 eager| = {err:.2e}")
    assert err <= 4 * U * LAYERS[name], err


@needs_bf16
@pytest.mark.parametrize("k", [1, 7, 64, 513, 4096])
def test_matmul_depths(k):
    """A @ B, both runtime inputs, odd and even K (odd K is padded with a zero pair)."""
    torch.manual_seed(k)
    a, b = torch.randn(20, k), torch.randn(k, 48)
    compiled = kiln.compile(lambda x, y: x @ y, a, b, threads=1, precision="bf16")
    a64, b64 = a.double(), b.double()
    err = (compiled(a, b).double() - a64 @ b64).abs()
    bound = (2.01 * U + k * 2.0**-24) * (a64.abs() @ b64.abs())
    assert bool((err <= bound).all()), (err / bound).max().item()


@needs_bf16
@pytest.mark.parametrize("m", [7, 13, 197])
def test_matmul_rows_padded_to_blocks(m):
    """Row counts no register block of 3+ rows divides: A is padded with zero rows and
    the result sliced back (``choose_blocking``); same bound as above."""
    torch.manual_seed(m)
    a, b = torch.randn(m, 64), torch.randn(64, 48)
    compiled = kiln.compile(lambda x, y: x @ y, a, b, threads=1, precision="bf16")
    a64, b64 = a.double(), b.double()
    got = compiled(a, b)
    assert got.shape == (m, 48)
    err = (got.double() - a64 @ b64).abs()
    bound = (2.01 * U + 64 * 2.0**-24) * (a64.abs() @ b64.abs())
    assert bool((err <= bound).all()), (err / bound).max().item()


@needs_bf16
@pytest.mark.parametrize(
    "channels, kernel, stride, padding",
    [(3, 3, 1, 1), (64, 3, 2, 1), (33, 1, 2, 0), (16, 7, 2, 3)],
)
def test_conv_depths(channels, kernel, stride, padding):
    """A convolution (odd, small and large C; strides; 1x1 to 7x7) against the per-output
    bound of a contraction of depth K = C * kernel**2, element by element: the input
    is converted to bf16 once, the filter rounded to bf16, accumulation in f32."""
    torch.manual_seed(channels)
    conv = torch.nn.Conv2d(channels, 32, kernel, stride, padding, bias=False).eval()
    x = torch.randn(2, channels, 14, 14)
    compiled = kiln.compile(conv, x, threads=1, precision="bf16")
    w64 = conv.weight.detach().double()
    ref = torch.nn.functional.conv2d(x.double(), w64, None, stride, padding)
    magnitude = torch.nn.functional.conv2d(x.double().abs(), w64.abs(), None, stride, padding)
    err = (compiled(x).double() - ref).abs()
    bound = (2.01 * U + channels * kernel**2 * 2.0**-24) * magnitude
    assert bool((err <= bound).all()), (err / bound).max().item()


@needs_bf16
def test_linear_weights_are_bf16_rounded():
    """Weights exactly representable in bf16 and small integer inputs: the dot products
    are exact, so the result equals f32 eager exactly (no second rounding anywhere)."""
    torch.manual_seed(0)
    layer = torch.nn.Linear(36, 40).eval()
    with torch.no_grad():
        layer.weight.copy_(torch.randint(-8, 8, (40, 36)).float() / 4)
        layer.bias.copy_(torch.randint(-8, 8, (40,)).float())
    x = torch.randint(-4, 4, (6, 36)).float()
    compiled = kiln.compile(layer, x, threads=1, precision="bf16")
    torch.testing.assert_close(compiled(x), layer(x).detach(), rtol=0, atol=0)


@needs_bf16
def test_library_holds_vdpbf16ps(tmp_path: Path):
    """The shared library's machine code has AVX512-BF16 dot products (llvm-objdump)."""
    from kiln.aot.toolchain import llvm_tool

    layer = torch.nn.Linear(64, 64).eval()
    x = torch.randn(8, 64)
    compiled = kiln.compile(layer, x, threads=1, precision="bf16")
    library = tmp_path / "linear.so"
    compiled.save(library)
    objdump = str(Path(llvm_tool("llc")).with_name("llvm-objdump"))

    def dot_instructions(path: Path) -> int:
        asm = subprocess.run(
            [objdump, "-d", "--no-show-raw-insn", str(path)],
            check=True,
            capture_output=True,
            text=True,
        ).stdout
        return len(re.findall(r"^\s*[0-9a-f]+:\s+vdpbf16ps\s", asm, re.M))

    assert dot_instructions(library) > 0
    f32 = kiln.compile(layer, x, threads=1)
    f32.save(tmp_path / "f32.so")
    assert dot_instructions(tmp_path / "f32.so") == 0


def test_bf16_without_the_cpu_feature_is_an_error(monkeypatch):
    """A target without avx512_bf16 (forced here): a kiln OptionError naming the flag,
    raised before the model is traced; f32 still compiles."""
    flags = targets.host_features() - {"avx512_bf16"}
    monkeypatch.setattr(targets, "host_features", lambda: flags)
    layer = torch.nn.Linear(8, 8).eval()
    x = torch.randn(2, 8)
    with pytest.raises(OptionError, match="avx512_bf16.*precision 'f32'"):
        kiln.compile(layer, x, threads=1, precision="bf16")
    np.testing.assert_allclose(
        kiln.compile(layer, x, threads=1)(x), layer(x).detach(), rtol=1e-5, atol=1e-6
    )


@pytest.mark.parametrize(
    "kwargs, message",
    [
        ({"precision": "fp8"}, "precision must be 'f32' or 'bf16'"),
        ({"precision": "bf16", "target": "cuda"}, "cpu option"),
    ],
)
def test_bad_precision_options(kwargs, message):
    with pytest.raises(OptionError, match=message):
        kiln.compile(torch.nn.Linear(4, 4), torch.randn(1, 4), **kwargs)
