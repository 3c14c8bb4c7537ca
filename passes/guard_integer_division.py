"""kiln-guard-integer-division: size arithmetic never divides by zero.

torch-mlir computes the sizes of a dynamic ``view`` by dividing the element
count by the product of the other sizes, whether or not the view infers a
size (a ``select`` then discards the quotient). With a zero-size dimension
that product is 0, and x86's integer division traps: a dynamic-shape call
with a zero size killed the process with SIGFPE. Each scalar integer
division outside the ops' bodies divides by ``select(d == 0, 1, d)`` instead:
the quotient is defined and, where PyTorch would have had to infer a size
from zero elements (its error "the unspecified dimension size -1 can be any
value"), the view gets size 0.

    %q = arith.divsi %n, %d  ->  %q = arith.divsi %n, (arith.select (arith.cmpi eq, %d, 0), 1, %d)

Pre: any IR with ``arith`` ops.
Post: every scalar integer division or remainder not nested in a ``linalg``
or ``tm_tensor`` op (whose bodies compute on the data, with PyTorch's own
semantics) has a divisor that is a non-zero constant or such a ``select``.
"""

from __future__ import annotations

from kiln.passes.common import collect_ops, defining_op
from kiln.passes.registry import KilnPass, register

from kiln.ir import arith, ir

DIVISIONS = (
    "arith.divsi",
    "arith.divui",
    "arith.remsi",
    "arith.remui",
    "arith.ceildivsi",
    "arith.ceildivui",
    "arith.floordivsi",
)
DATA_OPS = ("linalg.", "tm_tensor.")
EQ = 0  # arith.cmpi predicate


@register
class GuardIntegerDivision(KilnPass):
    """Make scalar integer divisions of sizes divide by 1 where the divisor is 0."""

    name = "kiln-guard-integer-division"

    def run(self, module: ir.Operation) -> None:
        for op in collect_ops(module, DIVISIONS):
            divisor = op.operands[1]
            if not isinstance(divisor.type, ir.IntegerType | ir.IndexType):
                continue  # vectors: data, not sizes
            if _in_data_op(op) or _nonzero_constant(divisor) or _guarded(divisor):
                continue
            with ir.InsertionPoint(op), op.location:
                zero = arith.constant(divisor.type, 0)
                one = arith.constant(divisor.type, 1)
                is_zero = arith.cmpi(EQ, divisor, zero)
                op.operands[1] = arith.select(is_zero, one, divisor)


def _in_data_op(op: ir.Operation) -> bool:
    parent = op.parent
    while parent is not None:
        if parent.name.startswith(DATA_OPS):
            return True
        parent = parent.parent
    return False


def _nonzero_constant(value: ir.Value) -> bool:
    op = defining_op(value)
    if op is None or op.name != "arith.constant":
        return False
    attr = op.attributes["value"]
    return isinstance(attr, ir.IntegerAttr) and ir.IntegerAttr(attr).value != 0


def _guarded(value: ir.Value) -> bool:
    """``value`` is this pass's ``select(d == 0, 1, d)`` (a second run changes nothing)."""
    select = defining_op(value)
    if select is None or select.name != "arith.select" or not _nonzero_constant(select.operands[1]):
        return False
    test = defining_op(select.operands[0])
    return (
        test is not None
        and test.name == "arith.cmpi"
        and ir.IntegerAttr(test.attributes["predicate"]).value == EQ
        and test.operands[0] == select.operands[2]
    )
