"""kiln-vectorize-copies: copies and fills that bufferization creates become vector loops.

One-shot bufferization materializes some copies (``linalg.copy`` into or out
of strided views, e.g. around padded activations) and fills after the tiling
stage has run, so they would become scalar loops. This pass schedules them
like any elementwise op: split across threads on their outermost dimension,
tiled to vectors along the innermost one, vectorized (masked where the last
tile is partial).

Pre: bufferized IR; ``linalg.copy``/``linalg.fill`` on statically shaped memrefs.
Post: those ops are vector transfers inside ``scf.forall``/``scf.for`` loops.
"""

from __future__ import annotations

from kiln.lowering.cpu.schedules.generic import (
    MIN_PARALLEL_ITERATIONS,
    GenericPlan,
    schedule_generic,
)
from kiln.passes.common import collect_ops, has_bool_tensors
from kiln.passes.registry import KilnPass, register
from kiln.passes.transform_script import Schedule

from kiln.ir import ir

OPS = ("linalg.copy", "linalg.fill")


@register
class VectorizeCopies(KilnPass):
    """Tile, parallelize and vectorize the copies and fills bufferization created."""

    name = "kiln-vectorize-copies"
    threads: int = 1
    # Standalone ops with fewer iterations run on one thread (see schedules/generic.py).
    min_parallel_iterations: int = MIN_PARALLEL_ITERATIONS

    def validate(self) -> None:
        if self.threads < 1:
            raise ValueError(f"kiln-vectorize-copies: threads must be >= 1, got {self.threads}")

    def run(self, module: ir.Operation) -> None:
        plans = []
        for i, op in enumerate(collect_ops(module, OPS)):
            ty = op.operands[-1].type
            if not isinstance(ty, ir.MemRefType) or not ir.MemRefType(ty).has_static_shape:
                continue
            shape = list(ir.MemRefType(ty).shape)
            if not shape or 0 in shape or _inside_loop(op) or has_bool_tensors(op):
                continue
            tag = f"kiln.copy{i}"
            op.attributes[tag] = ir.UnitAttr.get()
            plans.append(GenericPlan(tag, tuple(shape), ("parallel",) * len(shape), True))
        if not plans:
            return
        sched = Schedule(module.context)
        sched.bind(module, "kiln.copy")
        for plan in plans:
            schedule_generic(sched, plan, self.threads, min_iterations=self.min_parallel_iterations)
        sched.apply(module)
        # schedule_generic marks the tiles for kiln-vectorize, which runs next.
        for op in collect_ops(module):
            for attr in [name for name in op.attributes if name.startswith("kiln.copy")]:
                del op.attributes[attr]


def _inside_loop(op: ir.Operation) -> bool:
    parent = op.parent
    while parent is not None and parent.operation.name != "func.func":
        if parent.operation.name in ("scf.for", "scf.forall", "scf.parallel"):
            return True
        parent = parent.parent
    return False
