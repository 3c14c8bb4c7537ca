"""kiln's ``cuda`` pipeline: linalg on tensors -> GPU kernels -> NVVM -> LLVM IR -> PTX -> cubin.

MLIR stages (a ``kiln.pipeline.Pipeline``, run by ``kiln.driver.run_pipeline``):
- ``graph``: canonicalized, pads as elementwise ops, convolutions as im2col
  gathers and matrix products, unit dims dropped and
  contraction generics specialized to matmul / batch_matmul (upstream
  passes), f16/bf16 matmul operands no longer extended to f32 first,
  elementwise chains fused (one kernel each);
- ``tiled``: each op tiled to blocks and threads by its schedule, on tensors;
- ``bufferized``: memrefs, results as out-params;
- ``gpu``: shared memory, tensor cores, ``gpu.launch`` formed, kernels outlined;
- ``nvvm``: kernels in the LLVM dialect with NVVM ops, ``#nvvm.target`` attached.
Steps after MLIR (``compile_to_cuda_binary``): ``llvm-ir``, ``ptx`` (llc),
``cubin`` (ptxas). Every stage and step can be dumped.

``kiln-opt --kiln-pipeline=cuda`` builds the pipeline with the default
``CudaTarget`` (it hands CPU targets to every pipeline factory).
"""

from __future__ import annotations

import re
from dataclasses import dataclass, field
from pathlib import Path

from kiln.ir import ir
from kiln.lowering import nvvm_to_ptx
from kiln.lowering.gpu_to_nvvm import nvvm_passes
from kiln.lowering.linalg_to_gpu import bufferize_passes, kernel_passes, tile_passes
from kiln.pipeline import Pipeline, Stage

CHIP_RE = re.compile(r"^sm_(\d+)a?$")
# Unit dims dropped (upstream), then contraction generics specialized to named matmuls.
NAMED_CONTRACTIONS = (
    "func.func(linalg-fold-unit-extent-dims)",
    "kiln-specialize-contractions",
    "canonicalize",
)
POST_MLIR_STEPS = ("llvm-ir", "ptx", "cubin")


@dataclass(frozen=True)
class CudaTarget:
    """An NVIDIA GPU: its ``sm_XX`` chip and how kiln may use it."""

    chip: str = "sm_90"
    opt_level: int = 3
    tensor_cores: bool = True  # mma.sync for f16/bf16 matmuls on sm_80+
    tf32: bool = False  # also f32 matmuls on tensor cores, rounded to TF32 (~1e-3 relative)

    def __post_init__(self) -> None:
        if not CHIP_RE.match(self.chip):
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
    """The MLIR stages of the cuda pipeline for ``target`` (any non-CUDA target: the default)."""
    if not isinstance(target, CudaTarget):
        target = CudaTarget()
    return Pipeline(
        "cuda",
        (
            Stage(
                "graph",
                (
                    "canonicalize",
                    "cse",
                    "kiln-pad-to-generic",
                    # Contractions written as generics (nn.Linear on 3-D inputs, attention)
                    # become matmul / batch_matmul, which the GPU schedules know ...
                    *NAMED_CONTRACTIONS,
                    "kiln-fold-matmul-extensions",
                    "canonicalize",
                    "kiln-fuse-elementwise",
                    "canonicalize",
                    "cse",
                    # Convolutions (kept whole by fusion) as an im2col gather and a matmul;
                    # the gather's floordiv/mod map as explicit extracts (tileable).
                    "kiln-conv-to-img2col",
                    "kiln-gather-to-extract",
                    # ... and again after fusion, whose reshape propagation rewrites named
                    # contractions as generics.
                    *NAMED_CONTRACTIONS,
                    # CSE merges identical zero fills: each matmul gets its own again (its
                    # kernel fuses it; the wgmma kernel needs it to itself).
                    "kiln-unshare-destinations",
                ),
                "canonicalized, pads as elementwise kernels, contractions as named matmuls, "
                "half matmuls unextended, elementwise chains fused",
            ),
            Stage(
                "tiled",
                tile_passes(target.chip, target.tf32, target.tensor_cores),
                "tiled to blocks and threads",
            ),
            Stage("bufferized", bufferize_passes(), "buffers, results as out-params"),
            Stage("gpu", kernel_passes(), "gpu.launch_func and outlined gpu.modules"),
            Stage(
                "nvvm", nvvm_passes(target.chip, target.opt_level), "kernels in LLVM dialect + NVVM"
            ),
        ),
        options={"target": target},
    )


@dataclass(frozen=True)
class CudaBinary:
    """The outputs of the steps after MLIR; ``cubin`` is None when ptxas was not run."""

    chip: str
    llvm_ir: str
    ptx: str
    cubin: bytes | None
    kernels: tuple[str, ...] = field(default=())


def compile_to_cuda_binary(
    module: ir.Module,
    target: CudaTarget,
    *,
    stop_after: str = "cubin",
    require_cubin: bool = False,
    dump_dir: str | None = None,
    name: str = "module",
) -> CudaBinary:
    """Runs ``llvm-ir`` -> ``ptx`` -> ``cubin`` on a module at the ``nvvm`` level.

    ``cubin`` is skipped (None) when ptxas is missing unless ``require_cubin``;
    ``stop_after`` ends early (``llvm-ir`` leaves ``ptx`` empty). With
    ``dump_dir``, writes ``<name>.ll``, ``<name>.ptx`` and ``<name>.cubin``.
    """
    if stop_after not in POST_MLIR_STEPS:
        raise ValueError(
            f"stop_after must be one of {', '.join(POST_MLIR_STEPS)}, got '{stop_after}'"
        )
    llvm_ir = nvvm_to_ptx.gpu_modules_to_llvm_ir(module)
    _dump(dump_dir, f"{name}.ll", llvm_ir)
    if stop_after == "llvm-ir":
        return CudaBinary(target.chip, llvm_ir, "", None)
    ptx = nvvm_to_ptx.llvm_ir_to_ptx(llvm_ir, target.chip, target.opt_level)
    _dump(dump_dir, f"{name}.ptx", ptx)
    kernels = tuple(nvvm_to_ptx.kernel_names(ptx))
    cubin = None
    if stop_after == "cubin" and (require_cubin or nvvm_to_ptx.cuda_tools.ptxas() is not None):
        cubin = nvvm_to_ptx.ptx_to_cubin(ptx, target.chip)
        _dump(dump_dir, f"{name}.cubin", cubin)
    return CudaBinary(target.chip, llvm_ir, ptx, cubin, kernels)


def _dump(dump_dir: str | None, file_name: str, content: str | bytes) -> None:
    if not dump_dir:
        return
    path = Path(dump_dir, file_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)


@dataclass(frozen=True)
class CudaCompilation:
    """A module compiled for a GPU: its binary and, per host function, the launches to replay."""

    binary: CudaBinary
    plans: dict = field(default_factory=dict)  # function name -> gpu_launch_plan.LaunchPlan

    def load(self, device: int = 0):
        """A ``kiln.runtime.cuda.CudaProgram`` on GPU ``device`` (needs the CUDA driver)."""
        from kiln.runtime.cuda import CudaProgram

        return CudaProgram(self.binary.cubin or self.binary.ptx, self.plans, device)


def compile_cuda(
    module: ir.Module,
    target: CudaTarget | None = None,
    *,
    dump_dir: str | None = None,
    name: str = "module",
) -> CudaCompilation:
    """Runs every stage and step of the cuda pipeline on ``module`` (linalg, tensors), in place."""
    from kiln.driver import run_pipeline
    from kiln.lowering.gpu_launch_plan import launch_plans

    target = target if isinstance(target, CudaTarget) else CudaTarget()
    run_pipeline(module, cuda_pipeline(target), dump_dir=dump_dir, name=name)
    binary = compile_to_cuda_binary(module, target, dump_dir=dump_dir, name=name)
    return CudaCompilation(binary, launch_plans(module))
