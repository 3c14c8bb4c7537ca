"""kiln's OpenMP runtime: libiomp5 from the intel-openmp wheel, found and driven here.

Code compiled for several threads calls the LLVM OpenMP ABI (``__kmpc_*``).
torch brings its own runtime (libgomp), so kiln loads libiomp5 itself and is
the only one to set its thread count. This module imports no MLIR: shared
libraries loaded by ``kiln.load`` use it too.
"""

from __future__ import annotations

import ctypes
import os
import sys
from functools import lru_cache

LIBRARY_NAME = "libiomp5.so"


@lru_cache(maxsize=1)
def openmp_library() -> str | None:
    """Path of the LLVM-ABI OpenMP runtime (libiomp5 from the intel-openmp wheel)."""
    candidates = [os.path.join(sys.prefix, "lib", LIBRARY_NAME)]
    candidates += [
        os.path.join(p, LIBRARY_NAME) for p in os.environ.get("LD_LIBRARY_PATH", "").split(":") if p
    ]
    for path in candidates:
        if os.path.exists(path):
            return path
    return None


@lru_cache(maxsize=1)
def openmp_handle():
    """The runtime, loaded once with its symbols global (None when not installed)."""
    path = openmp_library()
    return ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL) if path else None


_threads_set: list[int] = [0]  # the count last given to kiln's OpenMP runtime


def set_num_threads(threads: int) -> None:
    """Sets the OpenMP thread count used by kiln's parallel loops.

    The runtime (libiomp5) is kiln's own (torch uses libgomp): only kiln sets
    its count, so a call that would not change it is skipped.
    """
    if threads == _threads_set[0]:
        return
    handle = openmp_handle()
    if handle is not None:
        handle.omp_set_num_threads(ctypes.c_int(threads))
        _threads_set[0] = threads
