"""kiln-guard-integer-division: no integer division traps, on sizes or on data.

x86's integer division traps (SIGFPE, the process dies) on a zero divisor
and on the signed overflow ``INT_MIN / -1``. Both reach kiln:

- sizes: torch-mlir computes the sizes of a dynamic ``view`` by dividing the
  element count by the product of the other sizes, whether or not the view
  infers a size (a ``select`` then discards the quotient). With a zero-size
  dimension that product is 0. Each scalar integer division outside the
  ops' bodies divides by ``select(d == 0, 1, d)`` instead: the quotient is
  defined and, where PyTorch would have had to infer a size from zero
  elements (its error "the unspecified dimension size -1 can be any value"),
  the view gets size 0.
- data: ``a // b``, ``a % b`` and ``torch.div(a, b, rounding_mode=...)`` on
  integer tensors whose ``b`` holds a 0 (eager PyTorch raises
  ZeroDivisionError, which compiled code cannot). Inside a ``linalg`` or
  ``tm_tensor`` body the division by zero gives 0, numpy's answer (quotient
  and remainder alike), and ``INT_MIN / -1`` wraps to ``INT_MIN`` (remainder
  0), as PyTorch and numpy give.

    %q = arith.divsi %n, %d  ->  %q = arith.divsi %n, (arith.select (arith.cmpi eq, %d, 0), 1, %d)
    (in a body, also)            %r = arith.select (arith.cmpi eq, %d, 0), 0, %q

Pre: any IR with ``arith`` ops on scalars (before vectorization).
Post: every scalar integer division or remainder has a divisor that is a
non-zero constant (not -1 for a signed one in a body) or such a ``select``;
in a body, its result is replaced by 0 where the divisor is 0. A second run
changes nothing.
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
SIGNED = ("arith.divsi", "arith.remsi", "arith.ceildivsi", "arith.floordivsi")
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
                continue  # vectors: vectorized after this pass, already guarded
            if _guarded(divisor):
                continue
            if _in_data_op(op):
                _guard_data(op)
            elif not _nonzero_constant(divisor):
                _guard_size(op)


def _guard_size(op: ir.Operation) -> None:
    """A size divided by 0 is divided by 1."""
    divisor = op.operands[1]
    with ir.InsertionPoint(op), op.location:
        zero = arith.constant(divisor.type, 0)
        one = arith.constant(divisor.type, 1)
        is_zero = arith.cmpi(EQ, divisor, zero)
        op.operands[1] = arith.select(is_zero, one, divisor)


def _guard_data(op: ir.Operation) -> None:
    """Data divided by 0 gives 0; INT_MIN / -1 divides by 1 (the wrapped quotient)."""
    dividend, divisor = op.operands[0], op.operands[1]
    signed = op.name in SIGNED
    constant = _constant_value(divisor)
    if constant is not None and constant != 0 and not (signed and constant == -1):
        return
    ty = divisor.type
    with ir.InsertionPoint(op), op.location:
        zero = arith.constant(ty, 0)
        is_zero = arith.cmpi(EQ, divisor, zero)
        divide_by_one = is_zero
        if signed:
            width = ir.IntegerType(ty).width if isinstance(ty, ir.IntegerType) else 64
            int_min = arith.constant(ty, -(1 << (width - 1)))
            overflow = arith.andi(
                arith.cmpi(EQ, dividend, int_min), arith.cmpi(EQ, divisor, arith.constant(ty, -1))
            )
            divide_by_one = arith.ori(is_zero, overflow)
        op.operands[1] = arith.select(divide_by_one, arith.constant(ty, 1), divisor)
    with ir.InsertionPoint.after(op), op.location:
        result = arith.select(is_zero, zero, op.results[0])
    op.results[0].replace_all_uses_except(result, result.owner.operation)


def _in_data_op(op: ir.Operation) -> bool:
    parent = op.parent
    while parent is not None:
        if parent.name.startswith(DATA_OPS):
            return True
        parent = parent.parent
    return False


def _constant_value(value: ir.Value) -> int | None:
    op = defining_op(value)
    if op is None or op.name != "arith.constant":
        return None
    attr = op.attributes["value"]
    return ir.IntegerAttr(attr).value if isinstance(attr, ir.IntegerAttr) else None


def _nonzero_constant(value: ir.Value) -> bool:
    return _constant_value(value) not in (None, 0)


def _guarded(value: ir.Value) -> bool:
    """``value`` is this pass's ``select(test, 1, d)`` whose test covers ``d == 0``."""
    select = defining_op(value)
    if select is None or select.name != "arith.select" or not _nonzero_constant(select.operands[1]):
        return False
    return _tests_zero(select.operands[0], select.operands[2])


def _tests_zero(test: ir.Value, divisor: ir.Value) -> bool:
    """``test`` is ``divisor == 0`` or an ``ori`` with such a term."""
    op = defining_op(test)
    if op is None:
        return False
    if op.name == "arith.ori":
        return any(_tests_zero(operand, divisor) for operand in op.operands)
    return (
        op.name == "arith.cmpi"
        and ir.IntegerAttr(op.attributes["predicate"]).value == EQ
        and op.operands[0] == divisor
        and _constant_value(op.operands[1]) == 0
    )
