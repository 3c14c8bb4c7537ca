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
of an op has more than one use. Producers reading function arguments are
never cloned.
"""

from __future__ import annotations

from kiln.passes.common import collect_ops, defining_op
from kiln.passes.registry import KilnPass, register

from kiln.ir import ir

CHEAP = ("tensor.empty", "bufferization.alloc_tensor")


@register
class UnshareDestinations(KilnPass):
    """Clone recomputable producers of tensors that several ops write into."""

    name = "kiln-unshare-destinations"

    def run(self, module: ir.Operation) -> None:
        # Cloning a producer shares the producer's own destination between
        # the clones: repeat until nothing is shared.
        while self._unshare_once(module):
            pass

    def _unshare_once(self, module: ir.Operation) -> bool:
        changed = False
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
                changed = True
        return changed


def _op(owner):
    return owner.operation if hasattr(owner, "operation") else owner


def _is_destination(use) -> bool:
    owner = _op(use.owner)
    if owner.name in ("scf.for", "scf.forall"):
        return True
    if owner.name.startswith("linalg.") or owner.name in (
        "vector.transfer_write",
        "tensor.insert_slice",
    ):
        return use.operand_number == len(owner.operands) - 1  # DPS init / insert destination
    return False


def _recomputable(op: ir.Operation) -> bool:
    """True if ``op`` computes its tensor results from constants only."""
    if op.name in CHEAP or op.name == "linalg.fill":
        return True
    if op.name not in ("scf.for", "linalg.generic") or not op.regions:
        return False
    producers = []

    reads_arguments = []

    def visit(inner):
        for value in inner.operands:
            if not isinstance(value.type, ir.ShapedType):
                continue
            producer = defining_op(value)
            if producer is None:
                if not _nested_block_argument(value, op):
                    reads_arguments.append(value)  # a function argument: real data
            elif not _nested_in(producer, op):
                producers.append(producer)
        return ir.WalkResult.ADVANCE

    op.walk(visit)
    return not reads_arguments and all(p.name in (*CHEAP, "arith.constant") for p in producers)


def _nested_block_argument(value: ir.Value, op: ir.Operation) -> bool:
    """True if ``value`` is an argument of a block inside ``op`` (an iter_arg, a body arg)."""
    owner = value.owner
    parent = owner.owner if hasattr(owner, "owner") else None
    while parent is not None:
        parent_op = parent.operation if hasattr(parent, "operation") else parent
        if parent_op == op:
            return True
        parent = parent_op.parent
    return False


def _nested_in(op: ir.Operation, ancestor: ir.Operation) -> bool:
    parent = op.parent
    while parent is not None:
        if parent.operation == ancestor:
            return True
        parent = parent.parent
    return False
