"""The workloads benchmarked: the model zoo, a 1024^3 matmul, a memory-bound chain, the
per-call overhead, and real models from the real-model tier (``test/e2e/models/zoo.py``,
needs the ``models`` extra: torchvision, timm, transformers)."""

from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

import torch
import torch.nn as nn

from kiln.zoo import ZOO


class MatMul(nn.Module):
    """C = A @ B with both operands inputs (no weights to pre-pack)."""

    def forward(self, a, b):
        return a @ b


class SiluAdd(nn.Module):
    """x * sigmoid(x) + y: memory-bound, three streams over memory."""

    def forward(self, x, y):
        return x * torch.sigmoid(x) + y


class TinyAdd(nn.Module):
    """x + 1 on 16 floats: what one call costs beyond the work (framework overhead)."""

    def forward(self, x):
        return x + 1.0


@dataclass(frozen=True)
class Workload:
    """A model and inputs to time, and the bytes it must move (for memory-bound ones)."""

    name: str
    description: str
    memory_bound: bool = False
    overhead: bool = False  # reported as microseconds per call
    tier: bool = False  # a real model, built by the real-model tier

    def make(self) -> tuple[nn.Module, tuple]:
        """The model (eval mode, seeded) and its example inputs."""
        torch.manual_seed(0)
        if self.tier:
            return tier_models()[self.name].make()
        if self.name in ZOO:
            return ZOO[self.name].make()
        if self.name == "matmul1024":
            return MatMul().eval(), (torch.randn(1024, 1024), torch.randn(1024, 1024))
        if self.name == "silu_add":
            n = 4 * 1024 * 1024
            return SiluAdd().eval(), (torch.randn(n), torch.randn(n))
        if self.name == "tiny":
            return TinyAdd().eval(), (torch.randn(16),)
        raise KeyError(self.name)


# Real models: the CNN families (plain, inverted-residual, grouped/depthwise, ConvNeXt's 7x7
# depthwise + LayerNorm) and the transformer ones (vision, encoder, LLaMA-style decoder).
TIER_WORKLOADS = {
    "resnet50": "ResNet-50 (torchvision), 1x3x224x224",
    "mobilenet_v2": "MobileNetV2 (torchvision), 1x3x224x224",
    "convnext_tiny": "ConvNeXt-T (torchvision), 1x3x224x224",
    "vit_b_16": "ViT-B/16 (torchvision), 1x3x224x224",
    "bert": "BERT-base widths, 4 of 12 layers (transformers), 128 tokens",
    "llama": "LLaMA (TinyLlama-1.1B widths, 2 of 22 layers, transformers), 128 tokens",
    "resnext50_32x4d": "ResNeXt-50 32x4d (torchvision), 1x3x224x224",
    "shufflenet_v2_x1_0": "ShuffleNetV2 x1.0 (torchvision), 1x3x224x224",
    "efficientnet_b0": "EfficientNet-B0 (torchvision), 1x3x224x224",
    "densenet121": "DenseNet-121 (torchvision), 1x3x224x224",
}

WORKLOADS = {
    w.name: w
    for w in (
        *(Workload(name, entry.description) for name, entry in ZOO.items()),
        Workload("matmul1024", "1024x1024x1024 matmul, both operands inputs"),
        Workload("silu_add", "x*sigmoid(x)+y on 4M floats", memory_bound=True),
        Workload("tiny", "x+1 on 16 floats: per-call overhead", overhead=True),
        *(Workload(name, text, tier=True) for name, text in TIER_WORKLOADS.items()),
    )
}

# The workloads the int8 peers run (quantized by PT2E, ``benchmarks.quantize``): those
# whose time is in weighted convolutions and linears, the ops PT2E's x86 config quantizes
# (a matmul of two inputs, an elementwise chain or x+1 would run the same float model).
INT8_WORKLOADS = frozenset({"mlp", "cnn", "resnet18", "encoder", "gpt2", "resnet50", "bert"})

# Named sets for benchmarks.run --set. Costs measured with --quick on the 2-core machine
# under load (CPU time, which bounds a quiet run's time; a full run adds ~1.5-3 s a point):
# "zoo" ~15 min at 1 and 2 threads, each real model ~3 min a thread count (Inductor's two
# cold compiles are half to two thirds of it): "real" at 2 threads ~20 min, "all" ~85 min.
WORKLOAD_SETS = {
    "zoo": ("mlp", "cnn", "resnet18", "encoder", "gpt2", "matmul1024", "silu_add", "tiny"),
    "real": ("resnet50", "mobilenet_v2", "convnext_tiny", "vit_b_16", "bert", "llama"),
    "all": tuple(WORKLOADS),
}


def tier_models() -> dict:
    """The real-model tier's table (imports torchvision, timm and transformers)."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "test" / "e2e"))
    from models.zoo import MODELS

    return MODELS


def flat_outputs(out) -> list[torch.Tensor]:
    """A model's result as a flat list of tensors (a tensor, or nested tuples/lists of them)."""
    if isinstance(out, torch.Tensor):
        return [out]
    return [t for item in out for t in flat_outputs(item)]


def eager_reference(model: nn.Module, inputs: tuple) -> list[torch.Tensor]:
    """Eager PyTorch's f32 outputs: what every peer is checked against."""
    with torch.no_grad():
        return [t.detach().float() for t in flat_outputs(model(*inputs))]


def flop_count(model: nn.Module, inputs: tuple) -> int:
    """FLOPs of one forward pass: 2 per multiply-accumulate of every matmul-class op
    (matmuls, batched matmuls, convolutions), counted on the model's linalg IR
    (torch's FlopCounterMode misses fused kernels such as nn.MultiheadAttention's)."""
    from kiln.passes.common import collect_ops, iterator_types, static_shape

    from kiln.api import load_model
    from kiln.pipeline import build_pass_manager

    module, _, _ = load_model(model, inputs, None)
    build_pass_manager(["linalg-generalize-named-ops"], module.context).run(module.operation)
    total = 0
    for op in collect_ops(module.operation, ["linalg.generic"]):
        kinds = iterator_types(op)
        names = [o.operation.name for o in op.regions[0].blocks[0].operations]
        if "reduction" not in kinds or not any(n in ("arith.mulf", "arith.muli") for n in names):
            continue
        total += 2 * _loop_volume(op, static_shape)
    return total


def _loop_volume(op, static_shape) -> int:
    """Product of the loop extents, read from operands whose map results are plain dims."""
    from kiln.passes.common import indexing_maps

    maps = indexing_maps(op)
    extents = [0] * maps[0].n_dims
    for value, amap in zip(op.operands, maps, strict=True):
        shape = static_shape(value) or []
        for expr, size in zip(amap.results, shape, strict=False):
            if "d" in str(expr) and str(expr).startswith("d") and str(expr)[1:].isdigit():
                extents[int(str(expr)[1:])] = size
    volume = 1
    for e in extents:
        volume *= max(e, 1)
    return volume


def bytes_moved(model: nn.Module, inputs: tuple) -> int:
    """Bytes read and written by a memory-bound model: inputs plus outputs, once."""
    with torch.no_grad():
        out = model(*inputs)
    outs = out if isinstance(out, tuple) else (out,)
    return sum(t.numel() * t.element_size() for t in (*inputs, *outs))
