"""kiln-unshare-destinations: every op that writes into a tensor gets its own destination.

CSE merges identical ``tensor.empty`` ops and identical fill loops (a zero
accumulator, a padded buffer's border), so one tensor ends up as the
destination of several ops. One-shot bufferization then gives it one buffer
and, for every other writer, a copy of it. This pass clones the producer of
such a shared destination for each extra use, when that producer only
computes from constants (an empty tensor, a fill, a loop of constant writes):
recomputing it is cheaper than the copy, and each writer then works in place.

Pre: tensors, before bufferization.
Post: no ``tensor.empty`` and no recomputable producer that is the
destination (DPS init, ``scf.for`` iter_args init, ``scf.forall`` shared_outs)
of an op has more than one use.
"""

from __future__ import annotations

from kiln.ir import ir
from kiln.passes.common import collect_ops, defining_op
from kiln.passes.registry import KilnPass, register

CHEAP = ("tensor.empty", "bufferization.alloc_tensor")


@register
class UnshareDestinations(KilnPass):
    """Clone recomputable producers of tensors that several ops write into."""

    name = "kiln-unshare-destinations"

    def run(self, module: ir.Operation) -> None:
        for op in collect_ops(module):
            for result in op.results:
                if not isinstance(result.type, ir.RankedTensorType):
                    continue
                uses = list(result.uses)
                if len(uses) < 2 or not any(_is_destination(use) for use in uses):
                    continue
                if not _recomputable(op):
                    continue
                for use in uses[1:]:
                    owner = _op(use.owner)
                    clone = op.clone(ip=ir.InsertionPoint(owner))
                    owner.operands[use.operand_number] = clone.results[result.result_number]


def _op(owner):
    return owner.operation if hasattr(owner, "operation") else owner


def _is_destination(use) -> bool:
    owner = _op(use.owner)
    if owner.name in ("scf.for", "scf.forall"):
        return True
    if owner.name.startswith("linalg.") or owner.name in ("vector.transfer_write", "tensor.insert_slice"):
        return use.operand_number == len(owner.operands) - 1  # DPS init / insert destination
    return False


def _recomputable(op: ir.Operation) -> bool:
    """True if ``op`` computes its tensor results from constants only."""
    if op.name in CHEAP or op.name == "linalg.fill":
        return True
    if op.name not in ("scf.for", "linalg.generic") or not op.regions:
        return False
    producers = []

    def visit(inner):
        for value in inner.operands:
            producer = defining_op(value)
            if producer is not None and isinstance(value.type, ir.ShapedType) and not _nested_in(producer, op):
                producers.append(producer)
        return ir.WalkResult.ADVANCE

    op.walk(visit)
    return all(p.name in (*CHEAP, "arith.constant") for p in producers)


def _nested_in(op: ir.Operation, ancestor: ir.Operation) -> bool:
    parent = op.parent
    while parent is not None:
        if parent.operation == ancestor:
            return True
        parent = parent.parent
    return False
