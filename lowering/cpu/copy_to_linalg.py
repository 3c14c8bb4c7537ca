"""kiln-copy-to-linalg: strided ``memref.copy`` becomes ``linalg.copy``.

``finalize-memref-to-llvm`` turns a copy between contiguous buffers into a
memcpy, but a copy involving a strided view into a call to ``memrefCopy``, a
function of MLIR's runner-utils library, which the torch-mlir wheel does not
ship. kiln lowers those copies to loops instead.

Pre: bufferized IR.
Post: every remaining ``memref.copy`` has identity-layout (or unranked) operands.
"""

from __future__ import annotations

from kiln.passes.common import collect_ops
from kiln.passes.registry import KilnPass, register

from kiln.ir import ir, linalg


@register
class CopyToLinalg(KilnPass):
    """Rewrite strided memref.copy ops as linalg.copy (no runtime library call)."""

    name = "kiln-copy-to-linalg"

    def run(self, module: ir.Operation) -> None:
        for op in collect_ops(module, ["memref.copy"]):
            if not all(isinstance(v.type, ir.MemRefType) for v in op.operands):
                continue  # unranked copies keep their runtime call
            if all(_identity_layout(v.type) for v in op.operands):
                continue
            with ir.InsertionPoint(op), op.location:
                linalg.copy(op.operands[0], outs=[op.operands[1]])
            op.erase()


def _identity_layout(ty: ir.Type) -> bool:
    layout = ir.MemRefType(ty).layout
    return (
        isinstance(layout, ir.AffineMapAttr)
        and layout.value.is_permutation
        and (layout.value == ir.AffineMap.get_identity(layout.value.n_dims))
    )
