"""kiln-fuse-elementwise: fuse chains of elementwise ops into single loops.

kiln's policy over MLIR's elementwise fusion: elementwise named ops are made
generic first so they take part, while contractions (matmul, batch_matmul),
convolutions and pooling stay named ops, so that no elementwise producer is
fused *into* a contraction (which would recompute it once per output tile and
break the contraction's multiply-add body). Reshapes are propagated through
elementwise ops on the way, so producers and consumers meet.

Pre: linalg-on-tensors.
Post: no elementwise ``linalg.generic`` has a single-use elementwise generic
producer; contractions (named or generic) are untouched, reshapes of their
results included: they are guarded by ``kiln.fusion_barrier`` ops during the
fusion, removed afterwards.
"""

from __future__ import annotations

from kiln.dialects import FusionBarrierOp
from kiln.passes.common import collect_ops, static_shape, users
from kiln.passes.contraction_analysis import NAMED_CONTRACTIONS, is_contraction_like
from kiln.passes.generalize import generalize_all
from kiln.passes.registry import KilnPass, register

from kiln.ir import ir
from kiln.pipeline import build_pass_manager

# Convolutions and poolings keep their inputs as they are, like contractions.
GUARDED_NAMED = (
    "linalg.conv_2d_nhwc_hwcf",
    "linalg.conv_2d_nchw_fchw",
    "linalg.pooling_nhwc_max",
    "linalg.pooling_nhwc_sum",
    "linalg.pooling_nchw_max",
    "linalg.pooling_nchw_sum",
)

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
    "linalg.transpose",
)


@register
class FuseElementwise(KilnPass):
    """Fuse producer/consumer chains of elementwise linalg ops (contractions excluded)."""

    name = "kiln-fuse-elementwise"

    def run(self, module: ir.Operation) -> None:
        generalize_all(module, ELEMENTWISE_NAMED)
        barriers = _guard_contractions(module)
        build_pass_manager(["linalg-fuse-elementwise-ops"], module.context).run(module)
        for barrier in barriers:
            barrier.results[0].replace_all_uses_with(barrier.operands[0])
            barrier.erase()
        build_pass_manager(["canonicalize", "cse"], module.context).run(module)


def _guard_contractions(module: ir.Operation) -> list[ir.Operation]:
    """Puts a ``kiln.fusion_barrier`` on every input and result of every contraction.

    MLIR's elementwise fusion also fuses into named ops such as linalg.matmul
    (turning them generic), so named contractions are guarded too. Results are
    guarded because its reshape propagation folds a consumer ``expand_shape`` into
    the contraction: a [M, 2k] matmul viewed as [M, k, 2] (complex pairs) became a
    contraction over N = (k, 2), whose packing padded the inner 2 to a vector (8x work).
    """
    barriers = []
    for op in collect_ops(module, (*NAMED_CONTRACTIONS, *GUARDED_NAMED, "linalg.generic")):
        if op.name not in GUARDED_NAMED and not is_contraction_like(op):
            continue
        n_inputs = len(op.operands) - 1
        for index in range(n_inputs):
            with ir.InsertionPoint(op), op.location:
                value = op.operands[index]
                barrier = FusionBarrierOp(value, value.type)
            op.operands[index] = barrier.results[0]
            barriers.append(barrier.operation)
        barriers.extend(_guard_results(op))
    return barriers


RESHAPES = ("tensor.expand_shape", "tensor.collapse_shape")


def _guard_results(op: ir.Operation) -> list[ir.Operation]:
    """A barrier between each result of ``op`` whose innermost dimension a reshape
    changes and its uses. Only there: reshapes of the outer dimensions (a 1x1
    convolution's [HW, F] matmul viewed as [1, H, W, F]) must still propagate, or the
    epilogue stays apart from its contraction (ResNet-50 3.9x slower)."""
    barriers = []
    for result in op.results:
        if not any(_splits_innermost(user, result) for user in users(result)):
            continue
        with ir.InsertionPoint.after(op), op.location:
            barrier = FusionBarrierOp(result, result.type)
        result.replace_all_uses_except(barrier.results[0], barrier.operation)
        barriers.append(barrier.operation)
    return barriers


def _splits_innermost(user: ir.Operation, value: ir.Value) -> bool:
    """True if ``user`` is a reshape of ``value`` whose innermost dimension differs from
    ``value``'s (the vector dimension of a blocked contraction)."""
    if user.name not in RESHAPES:
        return False
    before, after = static_shape(value), static_shape(user.results[0])
    return before is None or after is None or before[-1:] != after[-1:]
