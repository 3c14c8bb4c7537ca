"""Models quantized with PyTorch's PT2E flow (static, X86InductorQuantizer) compile and
compute what the quantized model computes eagerly.

The quantized model (``convert_pt2e``'s) runs quantize/dequantize pairs around float
convolutions and linears. kiln must give its answer, not the float model's: the rule is
max|kiln - quantized eager| <= 1e-5 * max|quantized eager|, far below the quantization
error itself (checked too: the quantized model differs from the float one by more than
that, so a kiln that dropped the quantization would fail). A requantization whose input
lands on a rounding tie could flip one step in a different summation order; these models'
inputs do not hit one (measured: max difference 5e-7 relative).

On a CPU with AVX512-VNNI (and 16 lanes) the linears run as int8 contractions
(``kiln-int8-contractions``: u8 x s8 -> i32 ``vpdpbusd``, then one rescale): the exact
integer sum differs from eager's f32 sum of dequantized products only by f32 rounding
(measured: 2e-7 relative on the MLP, 1.3e-7 on the encoder block), so the same 1e-5 rule
holds; were a requantization's input to land on a rounding tie, one quantization step
would move, which this rule would flag. The tests check that the int8 path was taken
(``vpdpbusd`` in the LLVM stage), and that without VNNI the f32 path gives the same answer.
"""

from __future__ import annotations

import dataclasses
import re

import pytest
import torch
import torchao.quantization.pt2e.quantize_pt2e as pt2e
import torchao.quantization.pt2e.quantizer.x86_inductor_quantizer as x86
from kiln.lowering.cpu.pipeline import cpu_pipeline
from torch import nn

import kiln
from kiln.api import import_model
from kiln.driver import run_pipeline
from kiln.targets import host_target

RELATIVE = 1e-5
VNNI = host_target(1).avx512_vnni


def quantize(model: nn.Module, example: torch.Tensor) -> nn.Module:
    """``model`` quantized statically (int8 weights per channel, uint8 activations),
    calibrated on a few perturbed copies of ``example``."""
    exported = torch.export.export(model, (example,)).module()
    quantizer = x86.X86InductorQuantizer()
    quantizer.set_global(x86.get_default_x86_inductor_quantization_config())
    prepared = pt2e.prepare_pt2e(exported, quantizer)
    generator = torch.Generator().manual_seed(1)
    for _ in range(4):
        prepared(example + 0.1 * torch.randn(example.shape, generator=generator))
    return pt2e.convert_pt2e(prepared)


def small_cnn() -> nn.Module:
    return nn.Sequential(
        nn.Conv2d(3, 16, 3, padding=1),
        nn.BatchNorm2d(16),
        nn.ReLU(),
        nn.Conv2d(16, 32, 3, stride=2),
        nn.ReLU(),
        nn.AdaptiveAvgPool2d(1),
        nn.Flatten(),
        nn.Linear(32, 10),
    )


def mlp() -> nn.Module:
    return nn.Sequential(nn.Linear(256, 512), nn.ReLU(), nn.Linear(512, 256))


def encoder() -> nn.Module:
    # X86InductorQuantizer quantizes the feed-forward linears (attention stays f32).
    return nn.TransformerEncoderLayer(64, 4, 128, dropout=0.0, batch_first=True)


def conv(c_in: int, c_out: int, kernel: int, stride: int = 1, padding: int = 0):
    """A builder of one quantized convolution (and ReLU): int8 on VNNI hosts."""
    return lambda: nn.Sequential(nn.Conv2d(c_in, c_out, kernel, stride, padding), nn.ReLU())


def f32_convs(dump_dir) -> int:
    """How many convolutions the compiled model's graph stage still runs in f32."""
    (graph,) = dump_dir.glob("*.01-graph.mlir")
    return len(re.findall(r"linalg\.conv_2d_nhwc_hwcf|linalg\.batch_matmul", graph.read_text()))


def int8_dots(dump_dir) -> int:
    """How many vpdpbusd calls the compiled model's LLVM stage has."""
    (llvm,) = dump_dir.glob("*.07-llvm.mlir")
    return llvm.read_text().count("llvm.x86.avx512.vpdpbusd.512")


@pytest.mark.parametrize(
    "build, shape, int8",
    [
        (small_cnn, (2, 3, 16, 16), VNNI),
        (mlp, (64, 256), VNNI),
        (encoder, (2, 16, 64), VNNI),
        # Row counts no block of 3+ rows divides: A padded with zero rows, sliced back.
        (mlp, (7, 256), VNNI),
        (encoder, (1, 13, 64), VNNI),
    ],
    ids=["cnn", "mlp", "encoder", "mlp-7-rows", "encoder-13-rows"],
)
def test_pt2e_quantized_model_matches_quantized_eager(build, shape, int8, tmp_path):
    torch.manual_seed(0)
    model = build().eval()
    x = torch.randn(*shape, generator=torch.Generator().manual_seed(0))
    quantized = quantize(model, x)
    with torch.no_grad():
        expected = quantized(x)
        float_result = model(x)
    scale = expected.abs().max().item()
    assert (expected - float_result).abs().max().item() > 10 * RELATIVE * scale  # quantized

    compiled = kiln.compile(quantized, x, threads=1, dump_dir=tmp_path)
    got = compiled(x)
    # The linears (the CNN's final one included) run as int8 dot products where VNNI is,
    # and so do the CNN's convolutions (none left f32, not even as Winograd's matmul).
    assert (int8_dots(tmp_path) > 0) == int8
    if build is small_cnn:  # (the MLP and encoder have no convolution to count)
        assert (f32_convs(tmp_path) == 0) == int8
    assert got.shape == expected.shape and got.dtype == expected.dtype
    assert (got - expected).abs().max().item() <= RELATIVE * scale
    torch.testing.assert_close(compiled(x), got, rtol=0, atol=0)  # a second call, same answer


@pytest.mark.parametrize(
    "build, shape",
    [
        (conv(16, 32, 1), (1, 16, 8, 8)),
        (conv(8, 32, 3, padding=1), (2, 8, 10, 10)),
        (conv(32, 64, 3, stride=2, padding=1), (1, 32, 14, 14)),
        (conv(3, 16, 7, stride=2, padding=3), (1, 3, 20, 20)),
    ],
    ids=["1x1", "3x3-padded", "3x3-strided-padded", "7x7-rgb-strided-padded"],
)
def test_quantized_conv_runs_int8_and_matches_quantized_eager(build, shape, tmp_path):
    # Padded convolutions: PyTorch pads the dequantized (float) input with 0.0, which is
    # the zero point in u8; a wrong padding value would change every border pixel. The
    # RGB one has 3 input channels (padded to a quad) and a 7x7 window (ResNet's stem).
    torch.manual_seed(0)
    model = build().eval()
    x = torch.randn(*shape, generator=torch.Generator().manual_seed(0))
    quantized = quantize(model, x)
    with torch.no_grad():
        expected = quantized(x)
    scale = expected.abs().max().item()
    compiled = kiln.compile(quantized, x, threads=1, dump_dir=tmp_path)
    assert (int8_dots(tmp_path) > 0) == VNNI  # the convolution's vpdpbusd (no linear here)
    assert (f32_convs(tmp_path) == 0) == VNNI
    assert (compiled(x) - expected).abs().max().item() <= RELATIVE * scale


def test_without_vnni_quantized_weights_are_dequantized_at_compile_time(tmp_path):
    # The f32 fallback: the int8 weights' (q - zero_point) * scale is computed once, by
    # kiln-fold-constant-layout, not on every call: the graph stage has no int8 tensor
    # left. Its answer is the int8 path's (both match quantized eager).
    torch.manual_seed(0)
    x = torch.randn(8, 256)
    quantized = quantize(mlp().eval(), x)
    no_vnni = dataclasses.replace(host_target(1), avx512_vnni=False)
    f32 = kiln.compile(quantized, x, pipeline=cpu_pipeline(no_vnni), dump_dir=tmp_path)
    (graph,) = tmp_path.glob("*.01-graph.mlir")
    text = graph.read_text()
    assert "xi8>" not in text
    assert "math.roundeven" in text  # the activations' quantization stays (it is the model's)
    assert int8_dots(tmp_path) == 0
    with torch.no_grad():
        expected = quantized(x)
    scale = expected.abs().max().item()
    assert (f32(x) - expected).abs().max().item() <= RELATIVE * scale
    int8 = kiln.compile(quantized, x, threads=1)
    assert (int8(x) - f32(x)).abs().max().item() <= RELATIVE * scale


def test_int8_graph_has_u8_producers_and_i32_contractions(tmp_path):
    # With VNNI (forced here): each quantized linear is a u8 x s8 -> i32 contraction
    # blocked in k quads, and the previous layer's epilogue writes the u8 activation (its
    # quantize fused: a conversion to i8). The pipeline runs to its last MLIR stage only: a
    # library of vpdpbusd code can be neither built for nor run on a host without VNNI.
    torch.manual_seed(0)
    x = torch.randn(8, 256)
    quantized = quantize(mlp().eval(), x)
    vnni = dataclasses.replace(host_target(1), avx512_vnni=True, vector_width=16)
    module, name, _, _ = import_model(quantized, (x,), None)
    with module.context:
        run_pipeline(module, cpu_pipeline(vnni), stop_after="llvm", dump_dir=tmp_path, name=name)
    (graph,) = tmp_path.glob("*.01-graph.mlir")
    text = graph.read_text()
    assert len(re.findall(r"kiln.blocked = array<i64: \d+, \d+, 4>", text)) == 2
    assert "arith.extui" in text and "arith.muli" in text and "linalg.matmul" not in text
    # (the quantize's float -> u8 through i32: kiln-float-to-int-via-i32)
    assert re.search(r"arith.fptosi %\S+ : f32 to i32\s+%\S+ = arith.trunci %\S+ : i32 to i8", text)
    assert int8_dots(tmp_path) > 0
