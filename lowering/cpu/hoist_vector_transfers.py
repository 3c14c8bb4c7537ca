"""kiln-hoist-vector-transfers: keep accumulators in registers across the k loop.

After bufferization, a register-block update reads and writes the same
C block on every k step. MLIR's redundant-transfer hoisting moves that
read before the loop and the write after it, carrying the vector through
``iter_args`` (registers).

Pre: bufferized IR with vector transfers on memrefs.
Post: loop-invariant transfer_read/transfer_write pairs on the same memref
and indices are hoisted out of their innermost loops.
"""

from __future__ import annotations

from kiln.passes.registry import KilnPass, register
from kiln.passes.transform_script import Schedule

from kiln.ir import ir


@register
class HoistVectorTransfers(KilnPass):
    """Hoist loop-invariant vector transfers (accumulators) out of loops."""

    name = "kiln-hoist-vector-transfers"

    def run(self, module: ir.Operation) -> None:
        sched = Schedule(module.context)
        sched.hoist_vector_transfers(sched.match(names=["func.func"]))
        sched.apply(module)
