"""Stage ``llvm``: everything becomes the LLVM dialect, ready for the JIT or an object file.

Pre: scf/cf/omp/vector/arith/math/memref on buffers.
Post: only ``llvm.*`` ops (and ``omp.*`` ops whose regions hold LLVM ops);
memref arguments use the bare-pointer calling convention, so a statically
shaped entry point is ``void f(float *in0, ..., float *out0, ...)``.
"""

from __future__ import annotations


def llvm_passes(bare_pointers: bool = True) -> tuple[str, ...]:
    """The pass specs of the ``llvm`` stage.

    ``bare_pointers=False`` keeps MLIR's memref descriptors at function
    boundaries (needed when shapes are dynamic).
    """
    func_to_llvm = (
        "convert-func-to-llvm{use-bare-ptr-memref-call-conv=true}"
        if bare_pointers
        else "convert-func-to-llvm"
    )
    return (
        # One function per loop nest: LLVM's loop passes cost loops x function size.
        "kiln-outline-loop-nests",
        # The nests of repeated layers are compiled once.
        "kiln-merge-identical-functions",
        # What only rewrites the inside of a function is nested under func.func, so
        # that MLIR runs it on the (many, after outlining) functions in parallel.
        # Vector transfers fully unrolled: a rolled n-D transfer lowering allocas a
        # stack buffer per loop iteration, which overflows the stack in long loops.
        # Math first: what LLVM has no intrinsic for (erf) becomes libm calls,
        # scalarized while vectors are still vector-dialect values.
        "func.func(lower-vector-multi-reduction, convert-vector-to-scf{full-unroll=true},"
        " convert-scf-to-cf, convert-math-to-llvm)",
        "convert-math-to-libm",
        "func.func(convert-vector-to-llvm, expand-strided-metadata, lower-affine)",
        "finalize-memref-to-llvm",
        "func.func(convert-arith-to-llvm, convert-index-to-llvm, convert-ub-to-llvm)",
        # Before convert-openmp-to-llvm: that pass also converts func.func with
        # the default (descriptor) calling convention.
        func_to_llvm,
        "convert-openmp-to-llvm",
        "convert-cf-to-llvm",
        "reconcile-unrealized-casts",
        "kiln-verify-llvm",
    )
