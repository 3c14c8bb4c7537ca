"""kiln's named pipelines, as data. ``cpu`` is the one for CPUs (x86-64, AArch64).

The stages, each a level of the IR:
- ``graph``: constants folded (weights pre-transposed and pre-packed),
  elementwise chains fused, contractions in register-block form;
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


def cpu_pipeline(target: CpuTarget) -> Pipeline:
    """The CPU pipeline for ``target`` (its vector width and thread count)."""
    return Pipeline(
        "cpu",
        (
            Stage(
                "graph",
                (
                    "canonicalize",
                    "cse",
                    "kiln-select-to-minmax",
                    "kiln-fold-constant-layout",
                    "kiln-fuse-elementwise",
                    "kiln-fold-constant-layout",
                    "kiln-decompose-conv",
                    "linalg-fold-unit-extent-dims",
                    "canonicalize",
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
                (f"kiln-tile-and-fuse{{threads={target.threads}}}", "canonicalize", "cse"),
                "tiled for threads and registers",
            ),
            Stage(
                "vectorized",
                ("kiln-vectorize", "kiln-approximate-math", "canonicalize", "cse"),
                "vector code, FMAs, polynomial exp/tanh/erf",
            ),
            Stage(
                "bufferized",
                (*bufferize_passes(), "kiln-hoist-vector-transfers", "kiln-copy-to-linalg"),
                "buffers, out-params, hoisted accumulators",
            ),
            Stage("loops", loop_passes(target.threads), "loops and OpenMP regions"),
            Stage("llvm", llvm_passes(), "LLVM dialect"),
        ),
        options={"target": target},
    )


PIPELINES = {"cpu": cpu_pipeline}
