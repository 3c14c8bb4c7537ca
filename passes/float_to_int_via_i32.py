"""kiln-float-to-int-via-i32: float -> i8/i16 conversions go through i32 and wrap.

torch-mlir converts a float to ``torch.uint8`` (and ``int8``, ``int16``) with one
``arith.fptosi`` to the narrow type. A value outside the narrow *signed* range
makes that poison, and uint8's upper half (128..255) is outside it: LLVM's
AVX-512 lowering happened to convert through i32 (so ``x.to(torch.uint8)`` of
221.0 gave 221), its AVX2 lowering saturates (127). PyTorch converts through a
32-bit integer and keeps the low bits (``static_cast`` on x86: 221.0 -> 221 as
uint8, 200.0 -> -56 as int8, -1.0 -> 255 as uint8). This pass spells that out:

    %r = arith.fptosi %x : f32 to i8  ->  %w = arith.fptosi %x : f32 to i32 ; %r = arith.trunci %w : i32 to i8

``arith.fptoui`` to a narrow type likewise (through a signed i32: -1.0 -> 255).
Scalars and vectors alike.

Pre: any IR with arith ops.
Post: no ``arith.fptosi``/``arith.fptoui`` produces an integer narrower than 32 bits
(except i1, which PyTorch never converts to this way).
"""

from __future__ import annotations

from kiln.passes.registry import KilnPass, register

from kiln.ir import arith, ir, rewrite

WIDE_BITS = 32


@register
class FloatToIntViaI32(KilnPass):
    """Rewrite float -> i8/i16 conversions as float -> i32 -> truncation."""

    name = "kiln-float-to-int-via-i32"

    def run(self, module: ir.Operation) -> None:
        patterns = rewrite.RewritePatternSet(module.context)
        patterns.add("arith.fptosi", _through_i32)
        patterns.add("arith.fptoui", _through_i32)
        rewrite.apply_patterns_and_fold_greedily(module, patterns.freeze())


def _through_i32(op, rewriter) -> bool:
    """fpto[su]i x : f -> iN (1 < N < 32) -> trunci(fptosi x : f -> i32); True: no match."""
    result_type = op.results[0].type
    element = (
        ir.VectorType(result_type).element_type
        if isinstance(result_type, ir.VectorType)
        else result_type
    )
    if not isinstance(element, ir.IntegerType) or not 1 < element.width < WIDE_BITS:
        return True
    with rewriter.ip, op.location:
        i32 = ir.IntegerType.get_signless(WIDE_BITS)
        wide_type = (
            ir.VectorType.get(ir.VectorType(result_type).shape, i32)
            if isinstance(result_type, ir.VectorType)
            else i32
        )
        wide = arith.fptosi(wide_type, op.operands[0])
        narrow = arith.trunci(result_type, wide)
    rewriter.replace_op(op, [narrow])
    return False
