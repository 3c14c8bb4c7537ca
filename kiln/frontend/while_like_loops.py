"""kiln-while-like-loops: a ``torch.while_loop`` stays a while loop through torch-mlir.

torch-mlir imports ``torch.while_loop`` as a ``torch.prim.Loop`` with the largest
trip count, whose initial condition is the condition function called on the
initial carries, and whose body ends in the condition on the new carries. When
the initial condition folds to a constant ``true`` (a counter starting at a
literal 0: ``i < 3``), torch-mlir's ``PrimLoopOp::isForLike`` (which looks at
the initial condition only) takes the loop for a ``for`` loop and drops the body's
condition: the loop ran 2**63 - 1 times (and failed in bufferization). Such a
loop gets an initial condition that is true but not a constant, so torch-mlir
lowers it to ``scf.while``, which tests the body's condition. It runs right
before ``convert-torch-to-scf``: every canonicalization before would fold the
condition back to a constant (``TORCH_TO_LINALG`` in ``pipelines.py``).

    torch.prim.Loop %max, %true, init(...) {... torch.prim.Loop.condition %c, iter(...)}
      ->  %t = torch_c.from_i1 (arith.constant true) ; torch.prim.Loop %max, %t, init(...)

Pre: torch IR whose ``torch.prim.Loop`` ops are not yet converted (torch-mlir's
linalg pipeline up to ``convert-torch-to-scf``).
Post: every ``torch.prim.Loop`` with a constant true initial condition has a
constant true body condition (a real for loop), or a trip count other than the
largest or a used induction variable (which torch-mlir's while lowering would
drop: left as they are).
"""

from __future__ import annotations

from kiln.ir import arith, ir
from kiln.passes.common import collect_ops, defining_op
from kiln.passes.registry import KilnPass, register

INT64_MAX = 2**63 - 1


@register
class WhileLikeLoops(KilnPass):
    """Keep loops with a body condition while-like for torch-mlir's SCF conversion."""

    name = "kiln-while-like-loops"

    def run(self, module: ir.Operation) -> None:
        for loop in collect_ops(module, ["torch.prim.Loop"]):
            if _is_while_taken_for_for(loop):
                _make_condition_opaque(loop)


def _constant_value(value: ir.Value):
    """The value of a ``torch.constant.bool``/``.int``, else None."""
    op = defining_op(value)
    if op is None or op.name not in ("torch.constant.bool", "torch.constant.int"):
        return None
    attr = op.attributes["value"]
    return (
        ir.BoolAttr(attr).value if op.name == "torch.constant.bool" else ir.IntegerAttr(attr).value
    )


def _is_while_taken_for_for(loop: ir.Operation) -> bool:
    """A while_loop torch-mlir would lower as a for loop (dropping its condition)."""
    trip_count, initial = loop.operands[0], loop.operands[1]
    if _constant_value(initial) is not True or _constant_value(trip_count) != INT64_MAX:
        return False
    body = loop.regions[0].blocks[0]
    if list(body.arguments[0].uses):
        return False  # the while lowering has no induction variable
    terminator = list(body.operations)[-1]
    return _constant_value(terminator.operands[0]) is not True


def _make_condition_opaque(loop: ir.Operation) -> None:
    """Replaces the loop's constant initial condition by ``from_i1`` of an i1 constant
    (the backend type conversion folds it away after the loop became ``scf.while``)."""
    with ir.InsertionPoint(loop), loop.location:
        true = arith.constant(ir.IntegerType.get_signless(1), 1)
        condition = ir.Operation.create(
            "torch_c.from_i1", results=[ir.Type.parse("!torch.bool")], operands=[true]
        )
    loop.operands[1] = condition.results[0]
