"""kiln's named pipelines, as data. ``cpu`` is the one for CPUs (x86-64, AArch64).

The stages, each a level of the IR:
- ``graph``: constants folded (weights pre-transposed and pre-packed),
  convolutions and poolings in NHWC, elementwise chains fused, contractions
  in register-block form;
- ``grouped``: each contraction and its epilogue in a ``kiln.fusion_group``;
- ``tiled``: tiled for threads (``scf.forall``) and for registers;
- ``vectorized``: tiles are vector code, contractions are FMAs;
- ``bufferized``: memrefs, out-params, accumulators hoisted to registers;
- ``loops``: scf loops and OpenMP parallel regions, no linalg;
- ``llvm``: the LLVM dialect, ready for the JIT or an object file.
"""

from __future__ import annotations

from kiln.lowering.buffers_to_loops import loop_passes
from kiln.lowering.loops_to_llvm import llvm_passes
from kiln.lowering.tensors_to_buffers import bufferize_passes
from kiln.pipeline import Pipeline, Stage
from kiln.targets import CpuTarget


def cpu_pipeline(target: CpuTarget, dynamic: bool = False) -> Pipeline:
    """The CPU pipeline for ``target`` (its vector width and thread count).

    ``dynamic=True`` is for entry points with dynamic shapes: their memrefs
    cross the function boundary as descriptors and results are returned
    (callee-allocated) instead of written into caller-provided buffers.
    """
    return Pipeline(
        "cpu",
        (
            Stage(
                "graph",
                (
                    "canonicalize",
                    "cse",
                    "kiln-select-to-minmax",
                    "kiln-expand-powi",
                    "kiln-fold-constant-layout",
                    "kiln-conv-to-nhwc",
                    "kiln-fold-constant-layout",
                    "kiln-fuse-elementwise",
                    "kiln-fold-constant-layout",
                    f"kiln-pack-contractions{{vector-width={target.vector_width}}}",
                    "kiln-block-epilogues",
                    "canonicalize",
                    "cse",
                ),
                "weights folded and packed, elementwise fused, contractions blocked",
            ),
            Stage("grouped", ("kiln-form-fusion-groups",), "contractions grouped with epilogues"),
            Stage(
                "tiled",
                (
                    f"kiln-tile-and-fuse{{threads={target.threads} vector-width={target.vector_width}}}",
                    "canonicalize",
                    "cse",
                    "kiln-pack-conv-filters",
                ),
                "tiled for threads and registers",
            ),
            Stage(
                "vectorized",
                ("kiln-vectorize", "kiln-approximate-math", "canonicalize", "cse"),
                "vector code, FMAs, polynomial exp/tanh/erf",
            ),
            Stage(
                "bufferized",
                (
                    *bufferize_passes(out_params=not dynamic),
                    "kiln-hoist-vector-transfers",
                    "kiln-copy-to-linalg",
                    f"kiln-vectorize-copies{{threads={target.threads}}}",
                    "kiln-vectorize",
                    "canonicalize",
                ),
                "buffers, out-params, hoisted accumulators",
            ),
            Stage("loops", loop_passes(target.threads), "loops and OpenMP regions"),
            Stage("llvm", llvm_passes(bare_pointers=not dynamic), "LLVM dialect"),
        ),
        options={"target": target},
    )


def _cuda_pipeline(target=None):
    """The cuda pipeline (imported lazily; see kiln/pipelines_cuda.py)."""
    from kiln.pipelines_cuda import cuda_pipeline

    return cuda_pipeline(target) if target is not None else cuda_pipeline()


PIPELINES = {"cpu": cpu_pipeline, "cuda": _cuda_pipeline}
