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


@dataclass(frozen=True)
class Workload:
    """A model and inputs to time, and the bytes it must move (for memory-bound ones)."""

    name: str
    description: str
    memory_bound: bool = False

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
        raise KeyError(self.name)


WORKLOADS = {
    w.name: w
    for w in (
        *(Workload(name, entry.description) for name, entry in ZOO.items()),
        Workload("matmul1024", "1024x1024x1024 matmul, both operands inputs"),
        Workload("silu_add", "x*sigmoid(x)+y on 4M floats", memory_bound=True),
    )
}


def flop_count(model: nn.Module, inputs: tuple) -> int:
    """FLOPs of one forward pass, as counted by torch's FlopCounterMode (matmul-class ops)."""
    from torch.utils.flop_counter import FlopCounterMode

    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(*inputs)
    return counter.get_total_flops()


def bytes_moved(model: nn.Module, inputs: tuple) -> int:
    """Bytes read and written by a memory-bound model: inputs plus outputs, once."""
    with torch.no_grad():
        out = model(*inputs)
    outs = out if isinstance(out, tuple) else (out,)
    return sum(t.numel() * t.element_size() for t in (*inputs, *outs))
