"""Stages ``tiled``, ``bufferized`` and ``gpu`` of the cuda pipeline: linalg -> GPU kernels.

- ``tiled`` (``kiln-gpu-tile``): each linalg op tiled to blocks and threads by
  its schedule (``passes/schedules/gpu_*.py``), on tensors.
  Pre: linalg on tensors, static shapes. Post: every linalg op inside a
  block-mapped ``scf.forall`` marked as a kernel.
- ``bufferized``: tensors become buffers. Each function takes its results as
  trailing out-params, so the runtime hands in output storage. No
  deallocation is inserted: the host function is never compiled, it only
  describes launches, and the runtime owns every buffer.
  Post: memrefs only; foralls and markers kept.
- ``gpu``: wgmma kernels written whole (``kiln-gpu-wgmma``, sm_90a), shared
  memory, thread distribution and tensor cores
  (``kiln-gpu-distribute``), per-thread loops, ``gpu.launch`` per kernel
  (``kiln-gpu-map``), kernels outlined into ``gpu.module``s, then mma
  accumulators kept in registers (``kiln-gpu-hoist-accumulators``) and
  contractions turned into ``nvgpu.mma.sync`` (``kiln-gpu-mma-sync``).
  Post: host functions hold allocs, views and ``gpu.launch_func`` only; each
  kernel is a ``gpu.func`` in its own ``gpu.module``; no linalg, no tensors,
  no ``vector.contract``.
"""

from __future__ import annotations

# Importing the modules registers their passes.
from kiln.lowering import (  # noqa: F401
    gpu_distribute,
    gpu_hoist_accumulators,
    gpu_map,
    gpu_mma_sync,
    gpu_tensormap_args,
    gpu_tile,
    gpu_wgmma,
)


def tile_passes(chip: str, tf32: bool, tensor_cores: bool) -> tuple[str, ...]:
    """The pass specs of the ``tiled`` stage."""
    options = f"chip={chip} tf32={str(tf32).lower()} tensor-cores={str(tensor_cores).lower()}"
    return (f"kiln-gpu-tile{{{options}}}", "canonicalize", "cse")


def bufferize_passes() -> tuple[str, ...]:
    """The pass specs of the ``bufferized`` stage."""
    return (
        "eliminate-empty-tensors",
        "empty-tensor-to-alloc-tensor",
        "one-shot-bufferize{bufferize-function-boundaries "
        "function-boundary-type-conversion=identity-layout-map}",
        # Twice: the first round exposes the self-copies the second removes.
        "canonicalize",
        "cse",
        "canonicalize",
        "buffer-results-to-out-params{hoist-static-allocs modify-public-functions}",
        "canonicalize",
    )


def kernel_passes() -> tuple[str, ...]:
    """The pass specs of the ``gpu`` stage."""
    return (
        "kiln-gpu-wgmma",
        "kiln-gpu-distribute",
        "func.func(convert-linalg-to-loops)",
        "kiln-gpu-map",
        "canonicalize",
        "cse",
        "canonicalize",
        # Else every constant used in a kernel becomes a kernel argument.
        "gpu-launch-sink-index-computations",
        "gpu-kernel-outlining",
        # Host-side copies of the shared-memory globals are dead once outlined.
        "symbol-dce",
        "kiln-gpu-tensormap-args",
        "canonicalize",
        "cse",
        # Tensor-core kernels: the warp's C pieces stay in registers across the k loop,
        # then each 16x8xK contraction becomes nvgpu.mma.sync fed by ldmatrix.
        "gpu.module(loop-invariant-code-motion)",
        "kiln-gpu-hoist-accumulators",
        "kiln-gpu-mma-sync",
        "canonicalize",
        "cse",
    )
