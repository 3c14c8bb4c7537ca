"""Ahead-of-time libraries: kiln's CPU code as a shared library with a C header, and the
on-disk compile cache built on them.

- ``target``: what a library is built for (triple, CPU level, the features it needs);
- ``codegen``: LLVM-dialect module -> objects (LLVM 22 opt + llc, one process per core);
- ``wrapper``, ``header``: the C side, exported functions and ``model.h``;
- ``build``: objects + weights + wrapper -> ``model.so``;
- ``cache``: compiled libraries on disk, keyed by what determines the code.

Loading a library needs none of this: ``kiln.runtime.library`` (``kiln.load``).
Importing this package imports no MLIR; ``codegen`` and ``build`` do.
"""
