"""The CUDA target: its options and its whole pipeline, linalg on tensors -> cubin, one stage list.

MLIR stages:
- ``graph``: canonicalized, pads as elementwise ops, convolutions as im2col
  gathers and matrix products, unit dims dropped and contraction generics
  specialized to matmul / batch_matmul, f16/bf16 matmul operands no longer
  extended to f32 first, elementwise chains fused (one kernel each);
- ``tiled``: each linalg op tiled to blocks and threads by its schedule
  (``lowering/cuda/schedules/``), on tensors. Post: every linalg op inside a
  block-mapped ``scf.forall`` marked as a kernel;
- ``bufferized``: memrefs; each function takes its results as trailing
  out-params so the runtime hands in output storage. No deallocation: the host
  function is never compiled, it only describes launches, and the runtime owns
  every buffer;
- ``gpu``: wgmma kernels written whole (sm_90a), shared memory, thread
  distribution and tensor cores, ``gpu.launch`` per kernel, kernels outlined
  into ``gpu.module``s, mma accumulators kept in registers, contractions as
  ``nvgpu.mma.sync``. Post: host functions hold allocs, views and
  ``gpu.launch_func`` only; no linalg, no tensors, no ``vector.contract``;
- ``nvvm``: each ``gpu.module`` carries ``#nvvm.target`` and holds only
  ``llvm.*``/``nvvm.*`` ops; kernels take one pointer per memref (bare
  pointers: static shapes only); vector accesses keep their alignment (the
  schedules only vectorize contiguous, aligned dims; the runtime checks
  16-byte alignment of buffers).
Tool stages after MLIR: ``llvm-ir`` (translation + libdevice), ``ptx`` (llc),
``cubin`` (ptxas; skipped when ptxas is not installed: the driver JITs PTX).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field

from kiln.lowering.cuda import nvvm_to_ptx
from kiln.lowering.cuda.conv_to_img2col import ConvToImg2col
from kiln.lowering.cuda.fold_matmul_extensions import FoldMatmulExtensions
from kiln.lowering.cuda.gather_to_extract import GatherToExtract
from kiln.lowering.cuda.gpu_distribute import GpuDistribute
from kiln.lowering.cuda.gpu_hoist_accumulators import GpuHoistAccumulators
from kiln.lowering.cuda.gpu_map import GpuMap
from kiln.lowering.cuda.gpu_mma_sync import GpuMmaSync
from kiln.lowering.cuda.gpu_tensormap_args import GpuTensormapArgs
from kiln.lowering.cuda.gpu_tile import GpuTile
from kiln.lowering.cuda.gpu_wgmma import GpuWgmma
from kiln.lowering.cuda.pad_to_generic import PadToGeneric
from kiln.lowering.cuda.specialize_contractions import SpecializeContractions
from kiln.passes.distinct_results import DistinctResults
from kiln.passes.float_to_int_via_i32 import FloatToIntViaI32
from kiln.passes.fold_zero_size import FoldZeroSize
from kiln.passes.fuse_elementwise import FuseElementwise
from kiln.passes.guard_integer_division import GuardIntegerDivision
from kiln.passes.readonly_arguments import ReadonlyArguments
from kiln.passes.tighten_window_operands import TightenWindowOperands
from kiln.passes.unshare_destinations import UnshareDestinations
from kiln.passes.while_carried_buffers import WhileCarriedBuffers

from kiln.ir import ir
from kiln.pipeline import Pipeline, Stage

CHIP_RE = re.compile(r"^sm_(\d+)a?$")


@dataclass(frozen=True)
class CudaTarget:
    """An NVIDIA GPU: its ``sm_XX`` chip and how kiln may use it."""

    chip: str = "sm_90"
    opt_level: int = 3
    tensor_cores: bool = True  # mma.sync for f16/bf16 matmuls on sm_80+
    tf32: bool = False  # also f32 matmuls on tensor cores, rounded to TF32 (~1e-3 relative)

    def __post_init__(self) -> None:
        if not isinstance(self.chip, str) or not CHIP_RE.match(self.chip):
            raise ValueError(f"CudaTarget: chip must look like 'sm_90', got '{self.chip}'")
        if self.sm < 50:
            raise ValueError(f"CudaTarget: kiln targets sm_50 and newer, got '{self.chip}'")
        if self.opt_level not in (0, 1, 2, 3):
            raise ValueError(f"CudaTarget: opt_level must be 0..3, got {self.opt_level}")

    @property
    def sm(self) -> int:
        """The compute capability as a number: 90 for sm_90."""
        return int(CHIP_RE.match(self.chip).group(1))


def cuda_pipeline(target: CudaTarget | None = None) -> Pipeline:
    """The cuda pipeline for ``target`` (default: ``CudaTarget()``)."""
    target = CudaTarget() if target is None else target
    if not isinstance(target, CudaTarget):
        raise TypeError(f"cuda_pipeline takes a CudaTarget, got {type(target).__name__}")
    # Unit dims dropped (upstream), then contraction generics specialized to named matmuls.
    named_contractions = (
        "func.func(linalg-fold-unit-extent-dims)",
        SpecializeContractions().spec(),
        "canonicalize",
    )
    return Pipeline(
        "cuda",
        (
            Stage(
                "graph",
                (
                    # Nothing of size zero reaches the schedules (they tile and divide ranges).
                    FoldZeroSize().spec(),
                    # Integer division by 0 gives numpy's 0, as on the CPU (sizes: 1).
                    GuardIntegerDivision().spec(),
                    # Float -> uint8/int8 through i32, as PyTorch converts (no poison).
                    FloatToIntViaI32().spec(),
                    "canonicalize",
                    "cse",
                    PadToGeneric().spec(),
                    # Inputs larger than their windows read would break unit-dim folding.
                    TightenWindowOperands().spec(),
                    # Contractions written as generics (nn.Linear on 3-D inputs, attention)
                    # become matmul / batch_matmul, which the GPU schedules know ...
                    *named_contractions,
                    FoldMatmulExtensions().spec(),
                    "canonicalize",
                    FuseElementwise().spec(),
                    "canonicalize",
                    "cse",
                    # Convolutions (kept whole by fusion) as an im2col gather and a matmul;
                    # the gather's floordiv/mod map as explicit extracts (tileable).
                    ConvToImg2col().spec(),
                    GatherToExtract().spec(),
                    # ... and again after fusion, whose reshape propagation rewrites named
                    # contractions as generics.
                    *named_contractions,
                    # CSE merges identical zero fills: each matmul gets its own again (its
                    # kernel fuses it; the wgmma kernel needs it to itself).
                    UnshareDestinations().spec(),
                ),
                "canonicalized, pads as elementwise kernels, contractions as named matmuls, "
                "half matmuls unextended, elementwise chains fused",
            ),
            Stage(
                "tiled",
                (
                    GpuTile(
                        chip=target.chip, tf32=target.tf32, tensor_cores=target.tensor_cores
                    ).spec(all_options=True),
                    "canonicalize",
                    "cse",
                ),
                "tiled to blocks and threads",
            ),
            Stage(
                "bufferized",
                (
                    # A tensor returned twice is copied first: out-params are distinct buffers
                    # (buffer-results-to-out-params crashes on a repeated result).
                    DistinctResults().spec(),
                    "eliminate-empty-tensors",
                    "empty-tensor-to-alloc-tensor",
                    # The caller owns the inputs: an in-place update copies them first.
                    ReadonlyArguments().spec(),
                    # A while loop (torch.while_loop) carries each tensor in one buffer.
                    WhileCarriedBuffers().spec(),
                    "one-shot-bufferize{bufferize-function-boundaries "
                    "function-boundary-type-conversion=identity-layout-map}",
                    # Twice: the first round exposes the self-copies the second removes.
                    "canonicalize",
                    "cse",
                    "canonicalize",
                    "buffer-results-to-out-params{hoist-static-allocs modify-public-functions}",
                    "canonicalize",
                ),
                "buffers, results as out-params",
            ),
            Stage(
                "gpu",
                (
                    GpuWgmma().spec(),
                    GpuDistribute().spec(),
                    "func.func(convert-linalg-to-loops)",
                    GpuMap().spec(),
                    "canonicalize",
                    "cse",
                    "canonicalize",
                    # Else every constant used in a kernel becomes a kernel argument.
                    "gpu-launch-sink-index-computations",
                    "gpu-kernel-outlining",
                    # Host-side copies of the shared-memory globals are dead once outlined.
                    "symbol-dce",
                    GpuTensormapArgs().spec(),
                    "canonicalize",
                    "cse",
                    # Tensor-core kernels: the warp's C pieces stay in registers across the k
                    # loop, then each 16x8xK contraction becomes nvgpu.mma.sync fed by ldmatrix.
                    "gpu.module(loop-invariant-code-motion)",
                    GpuHoistAccumulators().spec(),
                    GpuMmaSync().spec(),
                    "canonicalize",
                    "cse",
                ),
                "gpu.launch_func and outlined gpu.modules",
            ),
            Stage(
                "nvvm",
                (
                    f"nvvm-attach-target{{chip={target.chip} O={target.opt_level}}}",
                    "gpu.module("
                    "convert-vector-to-scf{full-unroll=true}, "
                    # Before scf-to-cf: nvgpu's lowering of warpgroup.mma.store emits scf loops.
                    "convert-nvgpu-to-nvvm, "
                    "convert-scf-to-cf, "
                    "expand-strided-metadata, "
                    "lower-affine, "
                    "convert-vector-to-llvm{use-vector-alignment=true}, "
                    "convert-gpu-to-nvvm{use-bare-ptr-memref-call-conv=true}, "
                    "convert-nvvm-to-llvm, "
                    "canonicalize, "
                    "cse, "
                    "reconcile-unrealized-casts)",
                ),
                "kernels in LLVM dialect + NVVM",
            ),
            Stage(
                "llvm-ir",
                summary="the gpu.modules as one LLVM IR module, libdevice linked",
                tool=_llvm_ir,
                suffix="ll",
            ),
            Stage("ptx", summary="PTX (llc)", tool=_ptx, suffix="ptx"),
            Stage(
                "cubin",
                summary="cubin (ptxas; skipped when not installed)",
                tool=_cubin,
                suffix="cubin",
            ),
        ),
        options={"target": target},
    )


def _llvm_ir(module: ir.Module, target: CudaTarget) -> str:
    return nvvm_to_ptx.gpu_modules_to_llvm_ir(module)


def _ptx(llvm_ir: str, target: CudaTarget) -> str:
    return nvvm_to_ptx.llvm_ir_to_ptx(llvm_ir, target.chip, target.opt_level)


def _cubin(ptx: str, target: CudaTarget) -> bytes | None:
    if nvvm_to_ptx.cuda_tools.ptxas() is None:
        return None
    return nvvm_to_ptx.ptx_to_cubin(ptx, target.chip)


@dataclass(frozen=True)
class CudaBinary:
    """The outputs of the steps after MLIR; ``cubin`` is None when ptxas was not run."""

    chip: str
    llvm_ir: str
    ptx: str
    cubin: bytes | None
    kernels: tuple[str, ...] = field(default=())


@dataclass(frozen=True)
class CudaCompilation:
    """A module compiled for a GPU: its binary and, per host function, the launches to replay."""

    binary: CudaBinary
    plans: dict = field(default_factory=dict)  # function name -> gpu_launch_plan.LaunchPlan

    def load(self, device: int = 0):
        """A ``kiln.runtime.cuda_program.CudaProgram`` on GPU ``device`` (needs the CUDA driver)."""
        from kiln.runtime.cuda_program import CudaProgram

        return CudaProgram(self.binary.cubin or self.binary.ptx, self.plans, device)


def compile_cuda(
    module: ir.Module,
    target: CudaTarget | None = None,
    *,
    dump_dir: str | None = None,
    name: str = "module",
    on_stage=None,
) -> CudaCompilation:
    """Runs every stage and step of the cuda pipeline on ``module`` (linalg, tensors), in place.

    ``on_stage(stage, module)`` is called after each MLIR stage (progress lines).
    """
    from kiln.lowering.cuda.gpu_launch_plan import launch_plans

    from kiln.driver import run_pipeline

    target = CudaTarget() if target is None else target
    outputs: dict = {}
    run_pipeline(
        module,
        cuda_pipeline(target),
        dump_dir=dump_dir,
        name=name,
        outputs=outputs,
        on_stage=on_stage,
    )
    ptx = outputs["ptx"]
    binary = CudaBinary(
        target.chip, outputs["llvm-ir"], ptx, outputs["cubin"], tuple(nvvm_to_ptx.kernel_names(ptx))
    )
    return CudaCompilation(binary, launch_plans(module))
