"""kiln-verify-llvm: the ``llvm`` stage's invariant, checked.

Pre: the output of the ``llvm`` stage.
Post: unchanged IR, or failure with one diagnostic per op that is not in the
LLVM dialect (or an OpenMP op around LLVM code), at that op's location: such
an op would otherwise only fail later, inside the JIT, with no location.
"""

from __future__ import annotations

from kiln.passes.common import collect_ops
from kiln.passes.registry import KilnPass, PassFailure, register

from kiln.ir import ir

ALLOWED_PREFIXES = ("llvm.", "omp.", "builtin.module")


@register
class VerifyLLVM(KilnPass):
    """Fail, at each op's location, if anything but LLVM (and OpenMP) ops is left."""

    name = "kiln-verify-llvm"

    def run(self, module: ir.Operation) -> None:
        errors = [
            (op.location, f"'{op.name}' was not lowered to the LLVM dialect")
            for op in collect_ops(module)
            if not op.name.startswith(ALLOWED_PREFIXES)
        ]
        if errors:
            raise PassFailure(errors)
