"""kiln-match-scatter-sizes: a scatter's updates and indices agree on their count statically.

``tm_tensor.scatter`` requires its updates and indices to have the same leading size
(one update per index row), and its verifier rejects a static size facing a dynamic
one. torch-mlir emits such a scatter with both sizes dynamic and a ``tensor.cast``
from a static type on one of them (``x[idx, mask] = values``: 3 values, as many index
rows as the mask has True positions). Canonicalization folds that cast into the
scatter, which is then invalid ("mismatch in shape of indices and update value at
dim#0") and the compile stopped with an internal error. Here the operand whose count
is dynamic is cast to the other's static count first (the scatter's own contract:
they are equal at run time), so the fold leaves a valid op.

Pre: tensors; ``tm_tensor.scatter`` ops, operands (updates, indices) then the original.
Post: when either operand's leading size is static (looking through ``tensor.cast``),
both operands of the scatter have that static leading size.
"""

from __future__ import annotations

from kiln.passes.common import collect_ops, defining_op
from kiln.passes.registry import KilnPass, register

from kiln.ir import ir, tensor


@register
class MatchScatterSizes(KilnPass):
    """Give a scatter's updates and indices the same static count where one is known."""

    name = "kiln-match-scatter-sizes"

    def run(self, module: ir.Operation) -> None:
        for op in collect_ops(module, ["tm_tensor.scatter"]):
            updates, indices = op.operands[0], op.operands[1]
            count = _static_count(updates)
            if count is None:
                count = _static_count(indices)
            if count is None:
                continue
            with ir.InsertionPoint(op), op.location:
                op.operands[0] = _with_count(updates, count)
                op.operands[1] = _with_count(indices, count)


def _static_count(value: ir.Value) -> int | None:
    """The leading size of ``value``, or of the tensor a ``tensor.cast`` made it from."""
    source = value
    producer = defining_op(value)
    if producer is not None and producer.name == "tensor.cast":
        source = producer.operands[0]
    shape = ir.RankedTensorType(source.type)
    if shape.rank == 0 or shape.is_dynamic_dim(0):
        return None
    return shape.get_dim_size(0)


def _with_count(value: ir.Value, count: int) -> ir.Value:
    """``value``, cast to a leading size of ``count`` when that size is dynamic."""
    ty = ir.RankedTensorType(value.type)
    if not ty.is_dynamic_dim(0):
        return value
    shape = [count, *list(ty.shape)[1:]]
    static = ir.RankedTensorType.get(shape, ty.element_type)
    return tensor.cast(static, value)
