"""Deliberately wrong kiln passes, to test that ``kiln.debug.bisect`` finds them.

Importing this file registers them (``kiln-bisect --load=<this file>`` does so
for the reduced tests' RUN lines). Each miscompiles every op it matches, at
any level of the IR (tensor or memref; scalars or vectors).
"""

from __future__ import annotations

from kiln.passes.common import collect_ops
from kiln.passes.registry import KilnPass, register

from kiln.ir import arith, ir, llvm


@register
class FlipAddf(KilnPass):
    """Wrong on purpose: every elementwise float add (``arith.addf``, ``llvm.fadd``) subtracts.

    Sums of reductions (a contraction's accumulation) are left alone, so that
    the rest of the pipeline still recognizes and vectorizes them.
    """

    name = "kiln-test-flip-addf"

    def run(self, module: ir.Operation) -> None:
        for op in collect_ops(module, ["arith.addf", "llvm.fadd"]):
            if _in_reduction(op):
                continue
            subtract = arith.subf if op.name == "arith.addf" else llvm.fsub
            with ir.InsertionPoint(op), op.location:
                sub = subtract(op.operands[0], op.operands[1])
            op.results[0].replace_all_uses_with(sub)
            op.erase()


@register
class ChangeTwo(KilnPass):
    """Wrong on purpose: every float constant 2.0 (scalar or splat) becomes 2.5."""

    name = "kiln-test-change-two"

    def run(self, module: ir.Operation) -> None:
        for op in collect_ops(module, ["arith.constant"]):
            with op.location:
                _change_two(op)


def _change_two(op: ir.Operation) -> None:
    value = op.attributes["value"]
    if isinstance(value, ir.FloatAttr) and ir.FloatAttr(value).value == 2.0:
        op.attributes["value"] = ir.FloatAttr.get(value.type, 2.5)
    elif (
        isinstance(value, ir.DenseFPElementsAttr)
        and value.is_splat
        and ir.FloatAttr(value.get_splat_value()).value == 2.0
    ):
        splat = ir.FloatAttr.get(ir.ShapedType(value.type).element_type, 2.5)
        op.attributes["value"] = ir.DenseElementsAttr.get_splat(value.type, splat)


def _in_reduction(op: ir.Operation) -> bool:
    parent = op.parent
    while parent is not None and parent.name != "func.func":
        if parent.name == "linalg.generic" and "reduction" in str(
            parent.attributes["iterator_types"]
        ):
            return True
        parent = parent.parent
    return False


@register
class FlipEpilogueAddf(KilnPass):
    """Wrong on purpose: ``arith.addf`` becomes ``subf`` in contraction epilogues only.

    Only ``kiln.epilogue`` ops (elementwise consumers of a blocked contraction)
    are touched: the bug shows only with the contraction in the function.
    """

    name = "kiln-test-flip-epilogue-addf"

    def run(self, module: ir.Operation) -> None:
        for op in collect_ops(module, ["arith.addf"]):
            parent = op.parent
            if parent.name != "linalg.generic" or "kiln.epilogue" not in parent.attributes:
                continue
            with ir.InsertionPoint(op), op.location:
                sub = arith.subf(op.operands[0], op.operands[1])
            op.results[0].replace_all_uses_with(sub)
            op.erase()
