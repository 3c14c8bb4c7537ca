"""The ``kiln`` dialect: fusion decisions made visible in the IR.

``kiln.fusion_group`` wraps one *anchor* op (a contraction such as
``linalg.matmul`` or a convolution) together with the elementwise ops fused
around it (its epilogue). The graph stage forms groups
(``kiln-form-fusion-groups``); the tiling stage reads each group, builds a
tile-and-fuse schedule for it and inlines the body (``kiln-tile-and-fuse``).
Between the two, the decision "what is fused with what" is plain IR that can be
dumped, checked with FileCheck and edited by hand.

    %r = "kiln.fusion_group"() ({
      %0 = linalg.matmul ...
      %1 = linalg.generic ... ins(%0 ...)       // bias + relu epilogue
      "kiln.yield"(%1) : (tensor<...>) -> ()
    }) {anchor = "linalg.matmul", kind = "contraction"} : () -> tensor<...>

Python-defined ops print in MLIR's generic form only.
"""

# No `from __future__ import annotations`: ext reads the field annotations as types.

import threading
from collections.abc import Sequence
from typing import Any

from torch_mlir._mlir_libs import _mlir

from kiln.ir import ext, ir

# The bindings look each dialect's Python module up by name on every op of it they wrap
# until one is found: ``kiln.dialects.kiln`` is kiln's (see that module).
if "kiln.dialects" not in _mlir.globals.dialect_search_modules:
    _mlir.globals.append_dialect_search_prefix("kiln.dialects")

GROUP_KINDS = ("contraction", "convolution", "depthwise", "grouped", "int8_conv", "elementwise")


class KilnDialect(ext.Dialect, name="kiln"):
    """Python-defined ops of the kiln compiler."""


class FusionGroupOp(KilnDialect.Operation, name="fusion_group"):
    """A region holding one anchor op and the ops fused with it.

    Invariants (checked by the verifier):
    - ``kind`` is one of GROUP_KINDS and ``anchor`` names an op inside the body;
    - the body is one block ending in ``kiln.yield`` whose operand types are the
      group's result types;
    - the body is not empty besides the terminator.
    """

    kind: ir.StringAttr
    anchor: ir.StringAttr
    outs: Sequence[ext.Result[Any]] = ext.result()
    body: ext.Region

    def verify_invariants(self) -> bool:
        kind = ir.StringAttr(self.attributes["kind"]).value
        if kind not in GROUP_KINDS:
            self.location.emit_error(
                f"'kiln.fusion_group' kind must be one of {', '.join(GROUP_KINDS)}, got '{kind}'"
            )
            return False
        return True

    def verify_region_invariants(self) -> bool:
        region = self.regions[0]
        if len(region.blocks) != 1:
            self.location.emit_error("'kiln.fusion_group' body must have exactly one block")
            return False
        ops = list(region.blocks[0].operations)
        if not ops or ops[-1].operation.name != "kiln.yield":
            self.location.emit_error("'kiln.fusion_group' body must end with 'kiln.yield'")
            return False
        yielded = [v.type for v in ops[-1].operands]
        produced = [r.type for r in self.results]
        if yielded != produced:
            self.location.emit_error(
                f"'kiln.fusion_group' yields {len(yielded)} value(s) of types "
                f"({', '.join(map(str, yielded))}) but the group has result types "
                f"({', '.join(map(str, produced))})"
            )
            return False
        if len(ops) == 1:
            self.location.emit_error("'kiln.fusion_group' body must not be empty")
            return False
        anchor = ir.StringAttr(self.attributes["anchor"]).value
        if all(op.operation.name != anchor for op in ops):
            self.location.emit_error(
                f"'kiln.fusion_group' anchor '{anchor}' is not an op of the group body"
            )
            return False
        return True


class YieldOp(KilnDialect.Operation, name="yield", traits=[ir.IsTerminatorTrait]):
    """Terminates a ``kiln.fusion_group`` body and returns its values."""

    values: Sequence[ext.Operand[Any]]

    def verify_invariants(self) -> bool:
        parent = self.operation.parent
        if parent is None or parent.operation.name != "kiln.fusion_group":
            self.location.emit_error("'kiln.yield' must be the terminator of a 'kiln.fusion_group'")
            return False
        return True


class FusionBarrierOp(KilnDialect.Operation, name="fusion_barrier"):
    """An identity that elementwise fusion cannot see through.

    ``kiln-fuse-elementwise`` puts one on each input of a contraction while
    MLIR's elementwise fusion runs, so that no elementwise producer is fused
    into a matmul (it would be recomputed once per output tile and break the
    multiply-accumulate body), then removes them.
    """

    input: ext.Operand[Any]
    output: ext.Result[Any] = ext.result()

    def verify_invariants(self) -> bool:
        if self.operands[0].type != self.results[0].type:
            self.location.emit_error(
                f"'kiln.fusion_barrier' result type {self.results[0].type} must equal its "
                f"operand type {self.operands[0].type}"
            )
            return False
        return True


class VnniDotOp(KilnDialect.Operation, name="vpdpbusd", traits=[ext.Pure]):
    """AVX512-VNNI's ``vpdpbusd``: ``acc`` (vector<16xi32>) plus, per lane, the four
    products of ``a``'s bytes (u8) and ``b``'s bytes (s8), both vector<64xi8>.

    Upstream's x86 dialect has no op for it, and ``llvm.call_intrinsic`` has unknown
    memory effects, which bufferization rejects and hoisting stops at: this op is pure
    until ``kiln-lower-int8-dots`` turns it into the intrinsic call after bufferization.
    """

    acc: ext.Operand[Any]
    a: ext.Operand[Any]
    b: ext.Operand[Any]
    sum: ext.Result[Any] = ext.result()

    def verify_invariants(self) -> bool:
        acc, a, b = (str(v.type) for v in self.operands)
        if (acc, a, b, str(self.results[0].type)) != (
            "vector<16xi32>",
            "vector<64xi8>",
            "vector<64xi8>",
            "vector<16xi32>",
        ):
            self.location.emit_error(
                "'kiln.vpdpbusd' takes vector<16xi32>, vector<64xi8>, vector<64xi8> and "
                f"returns vector<16xi32>, got {acc}, {a}, {b} -> {self.results[0].type}"
            )
            return False
        return True


# ``ext.Dialect.load`` keeps the IRDL module it loads in a class attribute and
# registers the op classes process-wide: two threads loading at once free each
# other's module while MLIR still reads it (a segfault). One load at a time.
_LOAD_LOCK = threading.Lock()


def load_kiln_dialect(ctx: ir.Context) -> None:
    """Loads the kiln dialect into ``ctx`` (idempotent; safe from several threads)."""
    with _LOAD_LOCK, ctx, ir.Location.unknown():
        if ctx.is_dialect_loaded(KilnDialect.DIALECT_NAMESPACE):
            return
        KilnDialect.load()


def irdl_text() -> str:
    """The dialect's IRDL definition, loadable by other tools with ``--irdl-file=``."""
    with ir.Context(), ir.Location.unknown():
        return str(KilnDialect._emit_module())
