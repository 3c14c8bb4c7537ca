"""kiln-fold-zero-size-torch: zero-element tensors become literals before torch-mlir lowers to linalg.

torch-mlir's conversions assume at least one element: its lowering of
``aten.view`` on a tensor of shape ``[2, 0, 8]`` (``nn.Linear`` on a
zero-length sequence) divides by the zero size and kills the process with
SIGFPE. A tensor without elements is fully known from its type, so every
such value is replaced by an empty ``torch.vtensor.literal`` and the ops
that computed it are erased; torch-mlir then has nothing of size zero left to
convert but literals. ``kiln-fold-zero-size`` does the same at the linalg
level for what kiln's own pipelines create.

    torch.aten.view %x, %sizes -> !torch.vtensor<[0,8],f32>  ->  torch.vtensor.literal(dense<> : tensor<0x8xf32>)

Pre: torch-mlir's backend contract (value tensors; the frontends' ``torch`` stage).
Post: only ``torch.vtensor.literal`` ops have statically shaped zero-element
results that anything uses (function arguments of that type are unused);
the torch ops that computed them are gone.
"""

from __future__ import annotations

import re

from kiln.ir import ir
from kiln.passes.common import collect_ops
from kiln.passes.registry import KilnPass, register

VTENSOR = re.compile(r"!torch\.vtensor<\[([0-9,]*)\],([a-z0-9]+)>")
# Value-semantics torch ops (the backend contract has no other) that may be erased unused.
TORCH_OPS = ("torch.aten.", "torch.prim.", "torch.constant.", "torch.vtensor.")


@register
class FoldZeroSizeTorch(KilnPass):
    """Replace zero-element torch tensors by empty literals before the linalg conversion."""

    name = "kiln-fold-zero-size-torch"

    def run(self, module: ir.Operation) -> None:
        fold_zero_size_values(module)


def fold_zero_size_values(module: ir.Operation) -> None:
    """Replaces each statically shaped zero-element ``!torch.vtensor`` value by a literal."""
    ops = collect_ops(module)
    for op in ops:
        for region in op.regions:
            for block in region.blocks:
                for argument in block.arguments:
                    _replace(argument, ir.InsertionPoint.at_block_begin(block), op.location)
        if op.name != "torch.vtensor.literal":
            for result in op.results:
                _replace(result, ir.InsertionPoint(op), op.location)
    for op in reversed(ops):  # consumers first: their producers then become dead too
        if op.name.startswith(TORCH_OPS) and op.results and not any(_used(r) for r in op.results):
            op.erase()


def _used(value: ir.Value) -> bool:
    return bool(list(value.uses))


def _replace(value: ir.Value, ip: ir.InsertionPoint, loc: ir.Location) -> None:
    match = VTENSOR.fullmatch(str(value.type))
    if match is None or "0" not in match.group(1).split(",") or not _used(value):
        return
    shape = match.group(1).replace(",", "x")
    attr = ir.Attribute.parse(f"dense<> : tensor<{shape}x{match.group(2)}>")
    with ip, loc:
        literal = ir.Operation.create(
            "torch.vtensor.literal", results=[value.type], attributes={"value": attr}
        )
    value.replace_all_uses_with(literal.result)
