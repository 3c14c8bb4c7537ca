"""A user's pass with a bug, and kiln.debug.bisect finding it (docs/debugging.md).

    python examples/buggy_pass.py            # bisect, write the reduced test to bisect-out/

``kiln-mul-to-add`` is meant to rewrite ``x * 2.0`` as ``x + x`` (an add is
cheaper than a multiply on some cores), but it forgets to check that the
constant is 2.0: every multiplication by a constant becomes ``x + x``.
"""

from __future__ import annotations

import torch
from kiln.passes.common import collect_ops
from kiln.passes.registry import KilnPass, register

from kiln.ir import arith, ir


@register
class MulToAdd(KilnPass):
    """Rewrite ``x * 2.0`` as ``x + x`` (buggy: any constant factor is taken for 2.0)."""

    name = "kiln-mul-to-add"

    def run(self, module: ir.Operation) -> None:
        for op in collect_ops(module, ["arith.mulf"]):
            x, factor = op.operands
            if factor.owner is None or not hasattr(factor.owner, "name"):
                continue
            if factor.owner.name != "arith.constant":  # BUG: the value is never checked
                continue
            with ir.InsertionPoint(op), op.location:
                doubled = arith.addf(x, x)
            op.results[0].replace_all_uses_with(doubled)
            op.erase()


class Block(torch.nn.Module):
    """A Linear, a GELU, a scaled residual."""

    def __init__(self):
        super().__init__()
        self.proj = torch.nn.Linear(32, 32)

    def forward(self, x):
        h = torch.nn.functional.gelu(self.proj(x))
        return x + h * 0.5


def buggy_pipeline():
    """kiln's cpu pipeline with the pass in a stage of its own after ``graph``."""
    from kiln.pipeline import Stage
    from kiln.targets import TARGETS, host_target

    return (
        TARGETS["cpu"]
        .pipeline(host_target(1))
        .insert_after(
            "graph", Stage("strength", ("kiln-mul-to-add",), "multiplications by 2 as adds")
        )
    )


if __name__ == "__main__":
    import kiln.debug

    torch.manual_seed(0)
    x = torch.randn(8, 32)
    kiln.debug.bisect(Block().eval(), x, pipeline=buggy_pipeline(), out_dir="bisect-out")
