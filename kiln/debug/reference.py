"""The reference lowering: plain, unoptimized passes from any level of kiln's IR to the JIT.

Bisection asks of each stage's output "does this IR still compute the right
answer?". To answer, the IR is finished by a lowering that shares as little
as possible with kiln's own pipeline: one-shot bufferization, linalg to plain
loops, and the standard conversions to LLVM (MLIR-STACK.md's naive lowering).
It keeps kiln's calling convention (results as trailing out-params, bare
pointers for static shapes), so every level runs on the same buffers.

Levels: ``tensor`` (before bufferization), ``memref`` (bufferized, loops) and
``llvm`` (ready for the JIT); the lowering starts at the level the IR is at.
"""

from __future__ import annotations

from kiln.ir import ir
from kiln.pipeline import Pipeline, Stage

LEVELS = ("tensor", "memref", "llvm")


def ir_level(module: ir.Module) -> str:
    """``tensor`` if any value is a ranked tensor, else ``memref`` if any ``func.func``
    remains, else ``llvm``."""
    seen = {"tensor": False, "func": False}

    def visit(op):
        op = op.operation
        if op.name == "func.func":
            seen["func"] = True
            ftype = ir.FunctionType(ir.TypeAttr(op.attributes["function_type"]).value)
            if any(isinstance(t, ir.RankedTensorType) for t in [*ftype.inputs, *ftype.results]):
                seen["tensor"] = True
        if any(isinstance(r.type, ir.RankedTensorType) for r in op.results):
            seen["tensor"] = True
        return ir.WalkResult.INTERRUPT if seen["tensor"] else ir.WalkResult.ADVANCE

    module.operation.walk(visit)
    if seen["tensor"]:
        return "tensor"
    return "memref" if seen["func"] else "llvm"


def reference_pipeline(dynamic: bool = False) -> Pipeline:
    """The plain lowering, one stage per level: ``tensor`` -> ``memref`` -> ``llvm``.

    ``dynamic`` mirrors kiln's pipeline for dynamic shapes: results returned
    (callee-allocated) and memrefs as descriptors instead of out-params and
    bare pointers.
    """
    out_params = (
        ()
        if dynamic
        else ("buffer-results-to-out-params{hoist-static-allocs modify-public-functions}",)
    )
    bare_pointers = "" if dynamic else "{use-bare-ptr-memref-call-conv=true}"
    return Pipeline(
        "reference",
        (
            Stage(
                "tensor",
                (
                    # Two out-params never share one buffer (buffer-results-to-out-params).
                    "kiln-distinct-results",
                    # tm_tensor ops (scatter, sort...) have no upstream bufferization.
                    "kiln-bufferize-tm-tensor",
                    "empty-tensor-to-alloc-tensor",
                    "one-shot-bufferize{bufferize-function-boundaries "
                    "function-boundary-type-conversion=identity-layout-map}",
                    *out_params,
                    "buffer-deallocation-pipeline",
                ),
                "one-shot bufferization, results as out-params",
            ),
            Stage(
                "memref",
                (
                    # Strided copies would call memrefCopy, which the wheel does not ship.
                    "kiln-copy-to-linalg",
                    "func.func(tm-tensor-to-loops)",
                    "func.func(convert-linalg-to-loops)",
                    "scf-forall-to-for",
                    "lower-affine",
                    "func.func(lower-vector-multi-reduction, convert-vector-to-scf{full-unroll=true},"
                    " convert-scf-to-cf, convert-math-to-llvm)",
                    "convert-math-to-libm",
                    "func.func(convert-vector-to-llvm, expand-strided-metadata, lower-affine)",
                    "finalize-memref-to-llvm",
                    "func.func(convert-arith-to-llvm, convert-index-to-llvm, convert-ub-to-llvm)",
                    f"convert-func-to-llvm{bare_pointers}",
                    "convert-openmp-to-llvm",
                    "convert-cf-to-llvm",
                    "reconcile-unrealized-casts",
                ),
                "plain loops, then the LLVM dialect",
            ),
        ),
    )


def lower_to_llvm(module: ir.Module, dynamic: bool = False) -> ir.Module:
    """Finishes ``module`` (in place) with the reference lowering from its own level."""
    from kiln.driver import run_pipeline

    level = ir_level(module)
    if level == "llvm":
        return module
    inline_fusion_groups(module)
    return run_pipeline(module, reference_pipeline(dynamic), start_at=level, name="reference")


def inline_fusion_groups(module: ir.Module) -> None:
    """Replaces each ``kiln.fusion_group`` by its body (groups only guide kiln's tiling)."""
    from kiln.passes.common import collect_ops

    for group in collect_ops(module.operation, ["kiln.fusion_group"]):
        ops = [op.operation for op in group.regions[0].blocks[0].operations]
        for op in ops[:-1]:
            op.move_before(group)
        for result, value in zip(group.results, ops[-1].operands, strict=True):
            result.replace_all_uses_with(value)
        group.erase()
