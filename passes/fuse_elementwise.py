"""kiln-fuse-elementwise: fuse chains of elementwise ops into single loops.

kiln's policy over MLIR's elementwise fusion: elementwise named ops are made
generic first so they take part, while contractions (matmul, batch_matmul),
convolutions and pooling stay named ops, so that no elementwise producer is
fused *into* a contraction (which would recompute it once per output tile and
break the contraction's multiply-add body). Reshapes are propagated through
elementwise ops on the way, so producers and consumers meet.

Pre: linalg-on-tensors.
Post: no elementwise ``linalg.generic`` has a single-use elementwise generic
producer; contractions, convolutions and pooling ops are untouched.
"""

from __future__ import annotations

from kiln.ir import ir
from kiln.passes.generalize import generalize_all
from kiln.passes.registry import KilnPass, register
from kiln.pipeline import build_pass_manager

# Named elementwise ops that take part in fusion once generalized.
ELEMENTWISE_NAMED = (
    "linalg.add",
    "linalg.sub",
    "linalg.mul",
    "linalg.div",
    "linalg.max",
    "linalg.min",
    "linalg.exp",
    "linalg.log",
    "linalg.abs",
    "linalg.negf",
    "linalg.elementwise",
    "linalg.map",
    "linalg.broadcast",
)


@register
class FuseElementwise(KilnPass):
    """Fuse producer/consumer chains of elementwise linalg ops (contractions excluded)."""

    name = "kiln-fuse-elementwise"

    def run(self, module: ir.Operation) -> None:
        generalize_all(module, ELEMENTWISE_NAMED)
        build_pass_manager(
            ["linalg-fuse-elementwise-ops", "canonicalize", "cse"], module.context
        ).run(module)
