"""The workloads benchmarked: the model zoo, a 1024^3 matmul and a memory-bound chain."""

from __future__ import annotations

from dataclasses import dataclass

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

    def make(self) -> tuple[nn.Module, tuple]:
        """The model (eval mode, seeded) and its example inputs."""
        torch.manual_seed(0)
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


WORKLOADS = {
    w.name: w
    for w in (
        *(Workload(name, entry.description) for name, entry in ZOO.items()),
        Workload("matmul1024", "1024x1024x1024 matmul, both operands inputs"),
        Workload("silu_add", "x*sigmoid(x)+y on 4M floats", memory_bound=True),
        Workload("tiny", "x+1 on 16 floats: per-call overhead", overhead=True),
    )
}


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
