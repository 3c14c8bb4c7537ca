"""JIT: LLVM-dialect modules become machine code in this process (MLIR's ExecutionEngine)."""

from __future__ import annotations

import ctypes
import os
import sys
from functools import lru_cache

from kiln.errors import KilnError
from kiln.ir import execution_engine, ir


@lru_cache(maxsize=1)
def openmp_library() -> str | None:
    """Path of the LLVM-ABI OpenMP runtime (libiomp5 from the intel-openmp wheel)."""
    candidates = [os.path.join(sys.prefix, "lib", "libiomp5.so")]
    candidates += [
        os.path.join(p, "libiomp5.so")
        for p in os.environ.get("LD_LIBRARY_PATH", "").split(":")
        if p
    ]
    for path in candidates:
        if os.path.exists(path):
            return path
    return None


@lru_cache(maxsize=1)
def _openmp_handle():
    path = openmp_library()
    return ctypes.CDLL(path, mode=ctypes.RTLD_GLOBAL) if path else None


def set_num_threads(threads: int) -> None:
    """Sets the OpenMP thread count used by kiln's parallel loops."""
    handle = _openmp_handle()
    if handle is not None:
        handle.omp_set_num_threads(ctypes.c_int(threads))


def uses_openmp(module: ir.Module) -> bool:
    """True if the lowered module calls into the OpenMP runtime."""
    found = []

    def visit(op):
        if op.operation.name.startswith("omp."):
            found.append(op.operation.name)
            return ir.WalkResult.INTERRUPT
        return ir.WalkResult.ADVANCE

    module.operation.walk(visit)
    return bool(found)


def _non_llvm_ops(module: ir.Module) -> set[str]:
    names: set[str] = set()

    def visit(op):
        name = op.operation.name
        if not name.startswith(("llvm.", "omp.", "builtin.module")):
            names.add(name)
        return ir.WalkResult.ADVANCE

    module.operation.walk(visit)
    return names


class JitModule:
    """Machine code for an LLVM-dialect module, kept alive as long as this object."""

    def __init__(self, module: ir.Module, opt_level: int = 3):
        libs = []
        if uses_openmp(module):
            path = openmp_library()
            if path is None:
                raise KilnError(
                    "kiln: this module runs on several threads but no OpenMP runtime was found; "
                    "install the 'intel-openmp' package or compile with threads=1"
                )
            _openmp_handle()
            libs.append(path)
        try:
            self._engine = execution_engine()(module, opt_level=opt_level, shared_libs=libs)
        except RuntimeError as err:
            leftovers = sorted(_non_llvm_ops(module))
            hint = f"; ops not lowered to LLVM: {', '.join(leftovers)}" if leftovers else ""
            raise KilnError(f"kiln: the JIT could not compile the module: {err}{hint}") from None

    def packed_function(self, name: str):
        """The packed entry ``void f(void **args)`` for function ``name``."""
        address = self._engine.raw_lookup(name)
        if not address:
            raise KilnError(f"kiln: no function '{name}' in the compiled module")
        return ctypes.CFUNCTYPE(None, ctypes.c_void_p)(address)

    def dump_object(self, path: str) -> None:
        """Writes the compiled code as an object file."""
        self._engine.dump_to_object_file(path)
