"""Stage ``nvvm`` of the cuda pipeline: each ``gpu.module`` becomes the LLVM dialect with NVVM ops.

Pre: output of the ``gpu`` stage: outlined ``gpu.func`` kernels on memrefs
(vector, scf, affine, arith, math, memref, nvgpu and gpu ops).
Post: each ``gpu.module`` carries ``#nvvm.target<chip = ...>`` and holds only
``llvm.*`` and ``nvvm.*`` ops (plus ``memref.global``s turned into
``llvm.mlir.global``s in address space 3 for shared memory); each kernel is an
``llvm.func`` with the ``nvvm.kernel`` attribute taking one pointer per
memref argument (bare-pointer convention: static shapes only). Host
functions are left as they are (the runtime launches kernels itself).

Vector accesses keep their vector alignment (``use-vector-alignment``): the
schedules only emit vectors along contiguous dims whose offsets are
multiples of the vector length, and the runtime checks that buffers are
16-byte aligned.
"""

from __future__ import annotations


def nvvm_passes(chip: str, opt_level: int = 3) -> tuple[str, ...]:
    """The pass specs of the ``nvvm`` stage for ``chip`` (e.g. ``sm_90``)."""
    return (
        f"nvvm-attach-target{{chip={chip} O={opt_level}}}",
        "gpu.module("
        + ", ".join(
            (
                "convert-vector-to-scf{full-unroll=true}",
                # Before scf-to-cf: nvgpu's lowering of warpgroup.mma.store emits scf loops.
                "convert-nvgpu-to-nvvm",
                "convert-scf-to-cf",
                "expand-strided-metadata",
                "lower-affine",
                "convert-vector-to-llvm{use-vector-alignment=true}",
                "convert-gpu-to-nvvm{use-bare-ptr-memref-call-conv=true}",
                "convert-nvvm-to-llvm",
                "canonicalize",
                "cse",
                "reconcile-unrealized-casts",
            )
        )
        + ")",
    )
