"""The frontends' own pipelines: torch-mlir's conversions to linalg, run as kiln stages.

They run through ``kiln.driver.run_pipeline`` like a target's stages, so they
get the same dumps (``<name>-<hash>.frontend.NN-<stage>.mlir`` in ``dump_dir``), IR
verification and reproducers with a ``kiln-opt`` replay command when
torch-mlir fails for a reason that is not an unsupported op.

- ``torch``: torch.export's FX graph (imported) → torch-mlir's backend contract
  (value semantics, shapes refined, decompositions applied);
- ``linalg``: zero-element tensors as literals (``kiln-fold-zero-size-torch``),
  then torch dialect → linalg, tensor, arith and tm_tensor on tensors;
- ``onnx`` (ONNX models only, first): ONNX ops → torch ops.
"""

from __future__ import annotations

from kiln.errors import PipelineError
from kiln.frontend.bitcast_views import BitcastViews
from kiln.frontend.fold_zero_size_torch import FoldZeroSizeTorch
from kiln.frontend.while_like_loops import WhileLikeLoops
from kiln.ir import PassManager, ir
from kiln.passes.match_scatter_sizes import MatchScatterSizes
from kiln.pipeline import Pipeline, Stage, split_pipeline

TORCH_BACKEND = (
    "func.func(torch-match-quantized-custom-ops)",
    "torchdynamo-export-to-torch-backend-pipeline",
)
ONNX_TO_TORCH = ("func.func(convert-torch-onnx-to-torch)",)
ONNX_TORCH_BACKEND = ("torch-onnx-to-torch-backend-pipeline",)
TORCH_TO_SCF = "func.func(convert-torch-to-scf)"


def _torch_to_linalg() -> tuple[str, ...]:
    """torch-mlir's linalg pipeline, its passes spelled out as the wheel defines them,
    with ``kiln-while-like-loops`` right before its SCF conversion (no canonicalization
    may run between the two: it would fold the loop's condition back to a constant)."""
    from torch_mlir.dialects import torch as torch_dialect  # registers torch-mlir's passes

    with ir.Context() as ctx:
        torch_dialect.register_dialect(ctx)
        pm = PassManager.parse(
            "builtin.module(torch-backend-to-linalg-on-tensors-backend-pipeline)"
        )
        specs = split_pipeline(str(pm))
    if TORCH_TO_SCF not in specs:
        raise RuntimeError(f"torch-mlir's linalg pipeline has no {TORCH_TO_SCF}: {specs}")
    at = specs.index(TORCH_TO_SCF)
    return (*specs[:at], WhileLikeLoops().spec(), *specs[at:])


LINALG_BACKEND = (
    # torch-mlir's conversions crash on tensors with a zero-size dimension.
    FoldZeroSizeTorch().spec(),
    # torch-mlir has no lowering of Tensor.view(dtype) (signbit, copysign use it).
    BitcastViews().spec(),
    *_torch_to_linalg(),
    # A scatter whose updates torch-mlir cast to a dynamic count: the targets'
    # canonicalization would fold the cast into an invalid scatter.
    MatchScatterSizes().spec(),
)

TORCH_FRONTEND = Pipeline(
    "torch-frontend",
    (
        Stage("torch", TORCH_BACKEND, "torch-mlir's backend contract", verify_each=True),
        Stage("linalg", LINALG_BACKEND, "linalg on tensors", verify_each=True),
    ),
)
ONNX_FRONTEND = Pipeline(
    "onnx-frontend",
    (
        Stage("onnx", ONNX_TO_TORCH, "ONNX ops as torch ops", verify_each=True),
        Stage("torch", ONNX_TORCH_BACKEND, "torch-mlir's backend contract", verify_each=True),
        Stage("linalg", LINALG_BACKEND, "linalg on tensors", verify_each=True),
    ),
)


def run_frontend(
    module: ir.Module,
    pipeline: Pipeline,
    *,
    start_at: str | None = None,
    stop_after: str | None = None,
    dump_dir: str | None = None,
    name: str = "module",
) -> None:
    """Runs stages of a frontend pipeline on ``module`` in place (raises ``PipelineError``)."""
    from kiln.driver import run_pipeline

    run_pipeline(
        module,
        pipeline,
        start_at=start_at,
        stop_after=stop_after,
        dump_dir=dump_dir,
        name=f"{name}.frontend",
    )


def mlir_error_of(err: PipelineError):
    """The ``MLIRError`` behind a failed frontend stage (None when a Python error failed it)."""
    return getattr(err, "mlir_error", None)
