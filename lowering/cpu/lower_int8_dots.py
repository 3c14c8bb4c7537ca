"""kiln-lower-int8-dots: ``kiln.vpdpbusd`` -> ``llvm.x86.avx512.vpdpbusd.512`` calls.

``kiln.vpdpbusd`` (written by ``int8_dot``) is a pure op so that bufferization and
hoisting treat it like arithmetic; here, after both, it becomes the LLVM intrinsic
call (``llvm.call_intrinsic``, whose memory effects MLIR does not know). LLVM 24
types the intrinsic ``(<16 x i32>, <64 x i8>, <64 x i8>) -> <16 x i32>``; LLVM 22's
opt and llc read that signature too.

Pre: vector code after bufferization (any level up to the LLVM dialect).
Post: no ``kiln.vpdpbusd`` remains.
"""

from __future__ import annotations

from kiln.passes.common import collect_ops
from kiln.passes.registry import KilnPass, register

from kiln.ir import ir, llvm

VPDPBUSD = "llvm.x86.avx512.vpdpbusd.512"


@register
class LowerInt8Dots(KilnPass):
    """Turn ``kiln.vpdpbusd`` ops into calls of the AVX512-VNNI intrinsic."""

    name = "kiln-lower-int8-dots"

    def run(self, module: ir.Operation) -> None:
        for op in collect_ops(module, ["kiln.vpdpbusd"]):
            with ir.InsertionPoint(op), op.location:
                call = llvm.call_intrinsic(op.results[0].type, VPDPBUSD, list(op.operands), [], [])
            op.results[0].replace_all_uses_with(call)
            op.erase()
