"""Stage ``loops``: structured ops on buffers become loops; parallel loops become OpenMP.

Pre: bufferized IR (memrefs), possibly with linalg ops left on buffers, vector
ops, ``scf.forall`` loops from tiling.
Post: only scf/cf control flow, ``omp.parallel``/``omp.wsloop`` for parallel
loops (when threads > 1), vector, arith, math and memref ops; no linalg or affine.
"""

from __future__ import annotations


def loop_passes(threads: int) -> tuple[str, ...]:
    """The pass specs of the ``loops`` stage."""
    passes = ["func.func(tm-tensor-to-loops)", "func.func(convert-linalg-to-loops)"]
    if threads > 1:
        passes += ["scf-forall-to-parallel", "convert-scf-to-openmp"]
    else:
        passes += ["scf-forall-to-for"]
    passes += [
        "lower-affine",
        "canonicalize",
        "kiln-assertions-to-errors",
    ]
    return tuple(passes)
