"""kiln-expand-full-inserts: a whole-tensor insert into an empty tensor becomes a reshape.

Dropping unit dims (the vectorizer's ``fold_unit_extent_dims`` patterns, run over
the whole function) rewrites an op on ``tensor<1x3x197x64xf32>`` as the op on
``tensor<3x197x64xf32>`` followed by ``tensor.insert_slice`` of the result into
a ``tensor.empty() : tensor<1x3x197x64xf32>`` at offset 0: the unit dims put
back. One-shot bufferization gives that empty tensor a buffer of its own and
copies the whole result into it. A ``tensor.pad`` (the rows a register block
needs) went that way in every linear layer of a ViT: its buffer filled, the
rows copied in, then the whole padded tensor copied again (deit_tiny: 147 such
nests, 2.8 ms of 48 at one thread). The insert is a ``tensor.expand_shape``,
which bufferizes to a view.

Pre: tensors (before bufferization).
Post: no ``tensor.insert_slice`` writes a whole ``tensor.empty`` destination (static
shapes, unit strides); each became an ``expand_shape`` of its source (or the source
itself when the types match).
"""

from __future__ import annotations

from kiln.passes.common import collect_ops, defining_op, expand_to, static_shape
from kiln.passes.registry import KilnPass, register

from kiln.ir import ir


@register
class ExpandFullInserts(KilnPass):
    """Rewrite whole-tensor inserts into tensor.empty as tensor.expand_shape."""

    name = "kiln-expand-full-inserts"

    def run(self, module: ir.Operation) -> None:
        for op in collect_ops(module, ["tensor.insert_slice"]):
            empty = defining_op(op.operands[1])
            if empty is None or empty.name != "tensor.empty":
                continue
            groups = _unit_dim_groups(op)
            if groups is None:
                continue
            source, result = op.operands[0], op.results[0]
            if source.type == result.type:
                result.replace_all_uses_with(source)
            else:
                with ir.InsertionPoint(op), op.location:
                    result.replace_all_uses_with(expand_to(source, groups, static_shape(result)))
            op.erase()
            if not list(empty.results[0].uses):
                empty.erase()


def _unit_dim_groups(op: ir.Operation) -> list[list[int]] | None:
    """The reassociation putting the source of ``op`` back into its destination's
    shape, if ``op`` writes the whole of its static destination and the source differs
    from it by unit dims only; else None."""
    if len(op.operands) != 2:  # dynamic offsets, sizes or strides
        return None
    shape, source_shape = static_shape(op.operands[1]), static_shape(op.operands[0])
    if shape is None or source_shape is None:
        return None
    offsets = list(ir.DenseI64ArrayAttr(op.attributes["static_offsets"]))
    sizes = list(ir.DenseI64ArrayAttr(op.attributes["static_sizes"]))
    strides = list(ir.DenseI64ArrayAttr(op.attributes["static_strides"]))
    if any(offsets) or sizes != shape or any(s != 1 for s in strides):
        return None
    # Match the source's dims left to right; a unit dim of the destination that
    # does not match joins the group of the next matched dim (or the last group).
    groups: list[list[int]] = []
    pending: list[int] = []
    j = 0
    for i, extent in enumerate(shape):
        if j < len(source_shape) and extent == source_shape[j]:
            groups.append([*pending, i])
            pending = []
            j += 1
        elif extent == 1:
            pending.append(i)
        else:
            return None
    if j != len(source_shape):
        return None
    if pending and groups:
        groups[-1].extend(pending)
    return groups  # [] for a rank-0 source into all unit dims
