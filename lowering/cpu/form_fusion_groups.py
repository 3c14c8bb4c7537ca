"""kiln-form-fusion-groups: wrap each contraction or convolution and its epilogue in a ``kiln.fusion_group``.

A group holds, in order: the op initialising the anchor's output (a fill or a
bias broadcast, if it has no other use), the anchor (a ``kiln.blocked``
contraction, kind ``contraction``; an NHWC ``linalg.conv_2d_nhwc_hwcf``, kind
``convolution``; a ``linalg.depthwise_conv_2d_nhwc_hwc``, kind ``depthwise``;
kiln's grouped convolution generic (``grouped_conv.py``), kind ``grouped``),
and the chain of elementwise ops that each consume the
previous op's result, whole and as their only use (``kiln.epilogue`` ops for
contractions). The group's result replaces the last op's result.

In a convolution group every epilogue op then writes into its producer's
result (``ins(%conv, %bias) outs(%empty)`` -> ``ins(%bias) outs(%conv)``,
the body reading the output element): tiled and fused, the init, the
convolution and the epilogue then update one band of the output in place.
With the epilogue writing into a fresh destination while reading the
convolution's, bufferization could not prove the two tile loops disjoint and
gave every band of every convolution a private buffer, copied in first.

Pre: output of ``kiln-pack-contractions`` and ``kiln-block-epilogues``.
Post: every blocked contraction and static NHWC convolution (plain,
depthwise or grouped) sits in exactly one ``kiln.fusion_group``; the
epilogue ops of convolution groups write into their producer's result where
their body does not read their own initial output; groups do not nest; no op outside a group uses a value
defined inside it other than the group's result.
"""

from __future__ import annotations

from kiln.dialects import FusionGroupOp, YieldOp
from kiln.lowering.cpu.block_epilogues import EPILOGUE_ATTR
from kiln.lowering.cpu.grouped_conv import grouped_window
from kiln.lowering.cpu.int8_conv import int8_conv_window
from kiln.passes.common import (
    collect_ops,
    defining_op,
    has_bool_tensors,
    indexing_maps,
    iterator_types,
    map_dims,
    static_shape,
    users,
)
from kiln.passes.contraction_analysis import BLOCKED_ATTR
from kiln.passes.registry import KilnPass, register

from kiln.ir import ir, linalg

CONV_ANCHORS = {
    "linalg.conv_2d_nhwc_hwcf": "convolution",
    "linalg.depthwise_conv_2d_nhwc_hwc": "depthwise",
}


@register
class FormFusionGroups(KilnPass):
    """Group each blocked contraction or NHWC convolution with its init and elementwise epilogue."""

    name = "kiln-form-fusion-groups"

    def run(self, module: ir.Operation) -> None:
        # Anchors first: forming a group replaces epilogue ops (in-place writes).
        anchors = [
            (op, kind)
            for op in collect_ops(module, ["linalg.generic", *CONV_ANCHORS])
            if (kind := _anchor_kind(op)) is not None
        ]
        for op, kind in anchors:
            _form_group(op, kind)


def _anchor_kind(op: ir.Operation) -> str | None:
    """The group kind ``op`` anchors, or None."""
    if BLOCKED_ATTR in op.attributes:
        return "contraction"
    if op.name in CONV_ANCHORS and static_shape(op.results[0]) is not None:
        return CONV_ANCHORS[op.name]
    if grouped_window(op) is not None:
        return "grouped"
    if int8_conv_window(op) is not None:
        return "int8_conv"
    return None


def group_members(anchor: ir.Operation) -> list[ir.Operation]:
    """[init?, anchor, epilogue...] for an anchor (blocked contraction or convolution).

    The init is a fill or an all-parallel generic (a bias broadcast) whose only
    use is the anchor's output operand.
    """
    members = []
    init = defining_op(anchor.operands[-1])
    if (
        init is not None
        and _is_init(init)
        and len(users(init.results[0])) > 1
        and _has_no_inputs(init)
    ):
        # A fill shared by several anchors (CSE merged them) would be copied
        # for each: give this anchor its own.
        init = _clone_for(init, anchor)
    if init is not None and len(users(init.results[0])) == 1 and _is_init(init):
        members.append(init)
    members.append(anchor)
    current = anchor
    while True:
        uses = users(current.results[0])
        if len(uses) != 1 or uses[0].parent != anchor.parent:
            break
        if not (
            EPILOGUE_ATTR in uses[0].attributes or _is_same_shape_elementwise(uses[0], current)
        ):
            break
        if has_bool_tensors(uses[0]):
            break
        current = uses[0]
        members.append(current)
    return members


def _has_no_inputs(op: ir.Operation) -> bool:
    """A fill, or a generic whose inputs are all constants: cheap to recompute per user."""
    return all(
        defining_op(v) is not None and defining_op(v).name in ("arith.constant", "tensor.empty")
        for v in op.operands
    )


def _clone_for(init: ir.Operation, anchor: ir.Operation) -> ir.Operation:
    clone = init.clone(ip=ir.InsertionPoint(anchor))
    anchor.operands[len(anchor.operands) - 1] = clone.results[0]
    return clone.operation if hasattr(clone, "operation") else clone


def _is_init(op: ir.Operation) -> bool:
    if op.name == "linalg.fill":
        return True
    return (
        op.name == "linalg.generic"
        and "reduction" not in iterator_types(op)
        and len(op.results) == 1
    )


def _write_in_place(op: ir.Operation, value: ir.Value) -> ir.Operation:
    """``op`` with its input ``value`` (read at the identity) as its output instead.

    ``ins(%v, %b) outs(%e) {^bb0(%x, %y, %o): f(%x, %y)}`` -> ``ins(%b) outs(%v)
    {^bb0(%y, %x): f(%x, %y)}``. ``op`` itself when its body reads its output
    element or ``value`` is not such an input.
    """
    block = op.regions[0].blocks[0]
    n_inputs = len(op.operands) - 1
    maps = indexing_maps(op)
    identity = list(range(maps[-1].n_dims))
    index = next(
        (
            i
            for i in range(n_inputs)
            if op.operands[i] == value and map_dims(maps[i]) == identity == map_dims(maps[-1])
        ),
        None,
    )
    if index is None or list(block.arguments[n_inputs].uses) or value.type != op.results[0].type:
        return op
    keep = [i for i in range(n_inputs) if i != index]
    with ir.InsertionPoint(op), op.location:
        new = linalg.GenericOp(
            [op.results[0].type],
            [op.operands[i] for i in keep],
            [value],
            ir.ArrayAttr.get([ir.AffineMapAttr.get(maps[i]) for i in (*keep, -1)]),
            op.attributes["iterator_types"],
        )
    for name in [n for n in op.attributes if n not in ("indexing_maps", "iterator_types")]:
        if name != "operandSegmentSizes":
            new.attributes[name] = op.attributes[name]
    arg_types = [block.arguments[i].type for i in (*keep, index)]
    body = new.regions[0].blocks.append(*arg_types, arg_locs=[op.location] * len(arg_types))
    for position, i in enumerate(keep):
        block.arguments[i].replace_all_uses_with(body.arguments[position])
    block.arguments[index].replace_all_uses_with(body.arguments[len(keep)])
    ip = ir.InsertionPoint(body)
    for inner in list(block.operations):
        ip.insert(inner.operation.detach_from_parent())
    op.results[0].replace_all_uses_with(new.results[0])
    op.erase()
    return new.operation


def _is_same_shape_elementwise(op: ir.Operation, producer: ir.Operation) -> bool:
    """An all-parallel generic reading ``producer``'s result at the identity, same shape out."""
    if op.name != "linalg.generic" or len(op.results) != 1 or "reduction" in iterator_types(op):
        return False
    if has_bool_tensors(op):
        return False  # stays a scalar loop (see has_bool_tensors)
    if static_shape(op.results[0]) != static_shape(producer.results[0]):
        return False
    maps = indexing_maps(op)
    identity = list(range(maps[0].n_dims))
    if map_dims(maps[-1]) != identity:
        return False
    value = producer.results[0]
    return any(
        operand == value and map_dims(amap) == identity
        for operand, amap in zip(list(op.operands)[:-1], maps, strict=False)
    )


def _form_group(anchor: ir.Operation, kind: str) -> None:
    members = group_members(anchor)
    if kind != "contraction":
        start = members.index(anchor) + 1
        for index in range(start, len(members)):
            members[index] = _write_in_place(members[index], members[index - 1].results[0])
    last = members[-1]
    result = last.results[0]
    with ir.InsertionPoint(last), last.location:
        group = FusionGroupOp(
            ir.StringAttr.get(kind),
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
