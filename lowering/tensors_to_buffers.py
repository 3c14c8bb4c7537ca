"""Stage ``bufferized``: tensors become buffers (memrefs).

Pre: linalg/vector/scf on tensors, functions taking and returning tensors.
Post: no tensor values remain; each entry function takes its results as
trailing out-params (``buffer-results-to-out-params``), so the runtime hands in
the output storage and nothing is copied out; statically shaped result
buffers are the out-params themselves; static temporaries are module globals
(``kiln-static-buffers``: no malloc per call); every remaining allocation is freed.
Copies are ``linalg.copy`` (never ``memref.copy``, which would call the
``memrefCopy`` runtime function that the torch-mlir wheel does not ship).
"""

from __future__ import annotations


def bufferize_passes(out_params: bool = True) -> tuple[str, ...]:
    """The pass specs of the ``bufferized`` stage.

    ``out_params=False`` (entry points with dynamic shapes, whose caller
    cannot size the outputs) keeps results as returned, callee-allocated buffers.
    """
    passes = (
        "kiln-distinct-results",
        "kiln-bufferize-tm-tensor",
        "kiln-unshare-destinations",
        "kiln-unshare-destinations",
        "eliminate-empty-tensors",
        "empty-tensor-to-alloc-tensor",
        "one-shot-bufferize{bufferize-function-boundaries "
        "function-boundary-type-conversion=identity-layout-map}",
        "canonicalize",
        "buffer-results-to-out-params{hoist-static-allocs modify-public-functions}",
        "func.func(buffer-hoisting)",
        "kiln-static-buffers",
        "buffer-deallocation-pipeline",
        "canonicalize",
    )
    if out_params:
        return passes
    return tuple(p for p in passes if not p.startswith("buffer-results-to-out-params"))
