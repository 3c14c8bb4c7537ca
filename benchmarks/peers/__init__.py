"""The peers the harness measures, as data (no torch import: the ONNX peers' venv reads it too).

A peer runs either in kiln's environment on the PyTorch model (``process="torch"``:
``benchmarks.measure``) or in ``.venv-peers`` on the ONNX export
(``process="onnx"``: ``benchmarks.peers.onnx_peers``). Every peer's output is
checked against eager PyTorch in f32; a peer whose error exceeds its precision's
tolerance is shown but never counts as the best peer.
"""

from __future__ import annotations

from dataclasses import dataclass

# max |y - ref| / max |ref| against eager f32 (benchmarks.timing.max_rel_error).
# f32: reassociated sums of f32 products stay ~1e-6..1e-5 even through deep models;
# 1e-3 only catches real bugs. bf16: one rounding is 2^-9 ~ 2e-3 relative, a K-term
# dot product of rounded operands drifts by ~2^-8 * sqrt(K) ulps of its inputs and
# deep models compound it layer after layer; 5e-2 separates that from a wrong answer.
# int8: the quantized model itself differs from the float one (activations rounded to
# 256 levels per tensor, weights to 255 per channel: ~1e-2 on ResNet-18); 1e-1 separates
# that from a wrong answer. Every int8 peer runs the same quantized model, and its
# distance from that model's own eager answer is reported too (``max_rel_error_quantized``).
TOLERANCE = {"f32": 1e-3, "bf16": 5e-2, "int8": 1e-1}


@dataclass(frozen=True)
class Peer:
    """One column of the tables."""

    name: str
    precision: str  # "f32", "bf16" or "int8": the table it belongs to
    process: str  # "torch" (benchmarks.measure) or "onnx" (benchmarks.peers.onnx_peers)
    description: str


PEERS: dict[str, Peer] = {
    p.name: p
    for p in (
        Peer("kiln", "f32", "torch", "kiln.compile"),
        Peer("eager", "f32", "torch", "PyTorch eager, torch.no_grad"),
        Peer("torch.compile", "f32", "torch", "torch.compile, default mode"),
        Peer(
            "inductor-frozen",
            "f32",
            "torch",
            'torch.compile(mode="max-autotune") with inductor freezing, torch.no_grad',
        ),
        Peer("ort", "f32", "onnx", "ONNX Runtime, CPU provider, ORT_ENABLE_ALL"),
        Peer("openvino", "f32", "onnx", "OpenVINO CPU, INFERENCE_PRECISION_HINT=f32"),
        Peer("iree", "f32", "onnx", "IREE llvm-cpu, host CPU, O3"),
        Peer("kiln-bf16", "bf16", "torch", 'kiln.compile(precision="bf16")'),
        Peer("openvino-bf16", "bf16", "onnx", "OpenVINO CPU, INFERENCE_PRECISION_HINT=bf16"),
        Peer("eager-bf16", "bf16", "torch", "PyTorch eager under torch.autocast(bfloat16)"),
        Peer("kiln-int8", "int8", "torch", "kiln.compile of the PT2E-quantized model"),
        Peer(
            "inductor-int8",
            "int8",
            "torch",
            "the PT2E-quantized model through torch.compile(max-autotune) with freezing",
        ),
        Peer("ort-int8", "int8", "onnx", "ONNX Runtime on the quantized model's QDQ export"),
        Peer(
            "openvino-int8",
            "int8",
            "onnx",
            "OpenVINO CPU on the QDQ export (int8 where quantized, f32 hint elsewhere)",
        ),
    )
}
KILN_PEER = {"f32": "kiln", "bf16": "kiln-bf16", "int8": "kiln-int8"}
PRECISIONS = ("f32", "bf16", "int8")


def peers_of(precision: str) -> list[str]:
    """The peers of one precision, in table order (kiln first)."""
    return [name for name, peer in PEERS.items() if peer.precision == precision]
