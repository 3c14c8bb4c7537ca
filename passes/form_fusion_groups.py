"""kiln-form-fusion-groups: wrap each blocked contraction and its epilogue in a ``kiln.fusion_group``.

A group holds, in order: the ``linalg.fill`` initialising the contraction (if
it has no other use), the ``kiln.blocked`` contraction (the anchor), and the
chain of ``kiln.epilogue`` ops that each consume the previous op's result as
its only use. The group's result replaces the last op's result.

Pre: output of ``kiln-pack-contractions`` and ``kiln-block-epilogues``.
Post: every blocked contraction sits in exactly one ``kiln.fusion_group`` of
kind ``contraction``; groups do not nest; no op outside a group uses a value
defined inside it other than the group's result.
"""

from __future__ import annotations

from kiln.dialects import FusionGroupOp, YieldOp
from kiln.ir import ir
from kiln.passes.block_epilogues import EPILOGUE_ATTR
from kiln.passes.common import collect_ops, defining_op, users
from kiln.passes.contraction import BLOCKED_ATTR
from kiln.passes.registry import KilnPass, register


@register
class FormFusionGroups(KilnPass):
    """Group each blocked contraction with its fill and elementwise epilogue chain."""

    name = "kiln-form-fusion-groups"

    def run(self, module: ir.Operation) -> None:
        for op in collect_ops(module, ["linalg.generic"]):
            if BLOCKED_ATTR in op.attributes and op.parent.operation.name != "kiln.fusion_group":
                _form_group(op)


def group_members(anchor: ir.Operation) -> list[ir.Operation]:
    """[fill?, anchor, epilogue...] for a blocked contraction ``anchor``."""
    members = []
    init = defining_op(anchor.operands[2])
    if init is not None and init.name == "linalg.fill" and len(users(init.results[0])) == 1:
        members.append(init)
    members.append(anchor)
    current = anchor
    while True:
        uses = users(current.results[0])
        if len(uses) != 1 or EPILOGUE_ATTR not in uses[0].attributes:
            break
        if uses[0].parent != anchor.parent:
            break
        current = uses[0]
        members.append(current)
    return members


def _form_group(anchor: ir.Operation) -> None:
    members = group_members(anchor)
    last = members[-1]
    result = last.results[0]
    with ir.InsertionPoint(last), last.location:
        group = FusionGroupOp(
            ir.StringAttr.get("contraction"),
            ir.StringAttr.get(anchor.name),
            [result.type],
        )
    result.replace_all_uses_with(group.results[0])
    block = group.regions[0].blocks.append()
    with ir.InsertionPoint(block), last.location:
        terminator = YieldOp([result])
    # Ops between members (reshapes of epilogue operands) stay outside: they
    # are defined before the group and dominate it.
    group.operation.move_after(last)
    for member in members:
        member.move_before(terminator.operation)
