"""kiln-roll-copy-loops: long data-movement loops stay loops in LLVM (no full unrolling).

LLVM's loop unroller fully unrolls nests of constant trip count whose body is a
copy, however many iterations the nest has: Swin's patch merging (14 x 28 x 3
copies of ``<32 x float>``) became one basic block of 4,700 instructions, and
llc's instruction selection and schedulers cost more than linearly in a block's
length (that one function took 1.5 s of llc, 13% of its module's). A copy is
bound by memory, not by loop overhead, so a rolled copy loop costs nothing at
run time. This pass marks every ``scf.for`` that only moves data (vector and
memref loads and stores, masks, address arithmetic, nested such loops) and would
unroll into more than ``max-moves`` register loads and stores with
``llvm.loop.unroll.disable``. Its inner loops keep LLVM's choice: a short inner
loop (3 vectors of a row) is still unrolled, and every loop that would unroll
to ``max-moves`` or fewer is left exactly as before.

Pre: loops (``scf.for``) over memrefs, before ``convert-scf-to-cf`` (which carries a
for's ``loop_annotation`` to its back edge, where LLVM IR translation reads it).
Post: the marked loops carry ``loop_annotation = #llvm.loop_annotation<unroll =
<disable = true>>``; nothing else changes.
"""

from __future__ import annotations

import math

from kiln.passes.common import collect_ops
from kiln.passes.registry import KilnPass, register

from kiln.ir import ir

ANNOTATION = "loop_annotation"
MOVES = frozenset(
    {
        "vector.transfer_read",
        "vector.transfer_write",
        "vector.load",
        "vector.store",
        "vector.maskedload",
        "vector.maskedstore",
        "memref.load",
        "memref.store",
    }
)
# What a copy loop computes besides its loads and stores: addresses, masks, splats and
# element type conversions (an f32 -> f64 copy is bound by memory like any other).
ADDRESSING = frozenset(
    {
        "arith.extf",
        "arith.truncf",
        "arith.extsi",
        "arith.extui",
        "arith.trunci",
        "arith.sitofp",
        "arith.uitofp",
        "arith.fptosi",
        "arith.fptoui",
        "arith.bitcast",
        "arith.constant",
        "arith.addi",
        "arith.subi",
        "arith.muli",
        "arith.divsi",
        "arith.divui",
        "arith.remsi",
        "arith.remui",
        "arith.floordivsi",
        "arith.ceildivsi",
        "arith.minsi",
        "arith.maxsi",
        "arith.minui",
        "arith.maxui",
        "arith.cmpi",
        "arith.select",
        "arith.index_cast",
        "memref.subview",
        "memref.reinterpret_cast",
        "memref.collapse_shape",
        "memref.expand_shape",
        "memref.cast",
        "vector.create_mask",
        "vector.constant_mask",
        "vector.broadcast",
        "vector.shape_cast",
        "scf.yield",
    }
)


@register
class RollCopyLoops(KilnPass):
    """Keep long copy loops rolled in LLVM (llvm.loop.unroll.disable)."""

    name = "kiln-roll-copy-loops"
    # A data-movement nest that would unroll into more loads and stores stays a loop.
    # LLVM unrolls short copies as before; 64 keeps every small copy's code unchanged.
    max_moves: int = 64
    # A move of a wider vector counts once per register it fills (<56 x f32>: 7 on AVX2).
    register_bits: int = 256

    def validate(self) -> None:
        if self.max_moves < 1:
            raise ValueError(f"kiln-roll-copy-loops: max-moves must be >= 1, got {self.max_moves}")
        if self.register_bits < 8:
            raise ValueError(
                f"kiln-roll-copy-loops: register-bits must be >= 8, got {self.register_bits}"
            )

    def run(self, module: ir.Operation) -> None:
        disable = ir.Attribute.parse("#llvm.loop_annotation<unroll = <disable = true>>")
        for loop in collect_ops(module, ["scf.for"]):
            if ANNOTATION in loop.attributes:
                continue
            moves = unrolled_moves(loop, self.register_bits)
            if moves is not None and moves > self.max_moves:
                loop.attributes[ANNOTATION] = disable


def unrolled_moves(loop: ir.Operation, register_bits: int) -> float | None:
    """Register loads and stores of ``loop`` fully unrolled (nested loops too), or None when
    the loop does more than move data or a trip count in it is not a constant."""
    trips = trip_count(loop)
    if trips is None:
        return None
    per_trip = 0.0
    for op in loop.regions[0].blocks[0].operations:
        name = op.operation.name
        if name in MOVES:
            per_trip += registers(op.operation, register_bits)
        elif name == "scf.for":
            inner = unrolled_moves(op.operation, register_bits)
            if inner is None:
                return None
            per_trip += inner
        elif name not in ADDRESSING:
            return None
    return trips * per_trip


def registers(move: ir.Operation, register_bits: int) -> float:
    """Registers a load or store fills: a vector fills whole ones (<3 x f32> one, <56 x f32>
    seven on AVX2); a scalar a fraction of one, since LLVM vectorizes a loop of scalar copies
    (64 f32 copies are 8 AVX2 moves) before it decides to unroll."""
    value = move.results[0] if len(move.results) else move.operands[0]
    if not isinstance(value.type, ir.VectorType):
        return getattr(value.type, "width", 64) / register_bits  # index: 64 bits
    vector = ir.VectorType(value.type)
    width = getattr(vector.element_type, "width", 64)
    bits = width * math.prod(vector.shape)
    return max(1, -(-bits // register_bits))


def trip_count(loop: ir.Operation) -> int | None:
    """The constant trip count of an ``scf.for`` (None if a bound or the step is not a
    constant)."""
    values = [_constant(loop.operands[i]) for i in range(3)]
    if None in values:
        return None
    lower, upper, step = values
    if step <= 0:
        return None
    return max(0, -(-(upper - lower) // step))


def _constant(value: ir.Value) -> int | None:
    owner = value.owner
    if not isinstance(owner, ir.OpView | ir.Operation):
        return None
    owner = owner.operation
    if owner.name != "arith.constant":
        return None
    attr = owner.attributes["value"]
    return ir.IntegerAttr(attr).value if isinstance(attr, ir.IntegerAttr) else None
