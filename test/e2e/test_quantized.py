"""Models quantized with PyTorch's PT2E flow (static, X86InductorQuantizer) compile and
compute what the quantized model computes eagerly.

The quantized model (``convert_pt2e``'s) runs quantize/dequantize pairs around float
convolutions and linears. kiln must give its answer, not the float model's: the rule is
max|kiln - quantized eager| <= 1e-5 * max|quantized eager|, far below the quantization
error itself (checked too: the quantized model differs from the float one by more than
that, so a kiln that dropped the quantization would fail). A requantization whose input
lands on a rounding tie could flip one step in a different summation order; these models'
inputs do not hit one (measured: max difference 5e-7 relative).
"""

from __future__ import annotations

import pytest
import torch
import torchao.quantization.pt2e.quantize_pt2e as pt2e
import torchao.quantization.pt2e.quantizer.x86_inductor_quantizer as x86
from torch import nn

import kiln

RELATIVE = 1e-5


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


@pytest.mark.parametrize(
    "build, shape", [(small_cnn, (2, 3, 16, 16)), (mlp, (64, 256))], ids=["cnn", "mlp"]
)
def test_pt2e_quantized_model_matches_quantized_eager(build, shape):
    torch.manual_seed(0)
    model = build().eval()
    x = torch.randn(*shape, generator=torch.Generator().manual_seed(0))
    quantized = quantize(model, x)
    with torch.no_grad():
        expected = quantized(x)
        float_result = model(x)
    scale = expected.abs().max().item()
    assert (expected - float_result).abs().max().item() > 10 * RELATIVE * scale  # quantized

    compiled = kiln.compile(quantized, x, threads=1)
    got = compiled(x)
    assert got.shape == expected.shape and got.dtype == expected.dtype
    assert (got - expected).abs().max().item() <= RELATIVE * scale
    torch.testing.assert_close(compiled(x), got, rtol=0, atol=0)  # a second call, same answer


def test_quantized_weights_are_dequantized_at_compile_time(tmp_path):
    # The int8 weights' (q - zero_point) * scale is computed once, by
    # kiln-fold-constant-layout, not on every call: the graph stage has no int8 tensor left.
    torch.manual_seed(0)
    x = torch.randn(8, 256)
    quantized = quantize(mlp().eval(), x)
    kiln.compile(quantized, x, threads=1, dump_dir=tmp_path)
    (graph,) = tmp_path.glob("*.01-graph.mlir")
    text = graph.read_text()
    assert "xi8>" not in text
    assert "math.roundeven" in text  # the activations' quantization stays (it is the model's)
