"""JIT: LLVM-dialect modules become machine code in this process (MLIR's ExecutionEngine)."""

from __future__ import annotations

import ctypes
import os
import threading

import numpy as np

from kiln.errors import KilnError
from kiln.ir import dense_bits, ir
from kiln.runtime.engine import Engine, warm_up
from kiln.runtime.openmp import openmp_handle, openmp_library, set_num_threads
from kiln.runtime.split_module import split_module
from kiln.targets import DEFAULT_OPT_LEVEL

# Re-exported: these lived here before the library loader needed them without MLIR.
__all__ = [
    "DEFAULT_OPT_LEVEL",
    "JitModule",
    "externalize_constants",
    "openmp_library",
    "set_num_threads",
]


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


# Constants at least this large (weights) are kept out of the JIT'd module.
EXTERNAL_CONSTANT_BYTES = 1 << 14


def externalize_constants(
    module: ir.Module, min_bytes: int = EXTERNAL_CONSTANT_BYTES, copy: bool = True
) -> dict:
    """Turns large constant globals into external declarations; returns their data by name.

    LLVM compiles constant data element by element: the 44 MB of ResNet-18
    weights would dominate compile time. Kept as 64-byte aligned numpy arrays
    and bound to the symbols at load time, they cost nothing to compile.
    ``copy=False`` returns views of the attributes' storage instead (no copy of
    hundreds of MB), valid while ``module``'s context lives: for writing them out.
    """
    arrays = {}
    for op in [o.operation for o in module.body.operations]:
        attrs = op.attributes
        if op.name != "llvm.mlir.global" or "constant" not in attrs or "value" not in attrs:
            continue
        value = attrs["value"]
        if not isinstance(value, ir.DenseElementsAttr) or value.is_splat:
            continue
        data = _dense_data(value, copy)
        if data.nbytes < min_bytes:
            continue
        arrays[ir.StringAttr(attrs["sym_name"]).value] = _aligned_copy(data) if copy else data
        del attrs["value"]
        attrs["linkage"] = ir.Attribute.parse("#llvm.linkage<external>", module.context)
    return arrays


def _dense_data(value: ir.DenseElementsAttr, copy: bool = True) -> np.ndarray:
    """The elements of ``value``; bf16 (packed weights of ``precision="bf16"``) as their
    uint16 bit patterns (numpy has no bf16, and only the bytes matter here). Without
    ``copy``, a view of the attribute's storage where the bindings give one."""
    if isinstance(ir.ShapedType(value.type).element_type, ir.BF16Type):
        return dense_bits(value)
    return np.array(value) if copy else np.asarray(value)


def _aligned_copy(data: np.ndarray, alignment: int = 64) -> np.ndarray:
    raw = np.empty(data.nbytes + alignment, np.uint8)
    start = -raw.ctypes.data % alignment
    aligned = raw[start : start + data.nbytes].view(data.dtype).reshape(data.shape)
    aligned[...] = data
    return aligned


def _cores() -> int:
    """CPU cores this process may run on (a taskset narrows them)."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # not Linux
        return os.cpu_count() or 1


class JitModule:
    """Machine code for an LLVM-dialect module, kept alive as long as this object.

    With two or more cores free, a large module's loop nests are dealt out
    to one module per core (``split_module``) and compiled at once; what is
    left (the entry points) is compiled last, its calls bound to the nests'
    addresses.
    """

    def __init__(self, module: ir.Module, opt_level: int = DEFAULT_OPT_LEVEL):
        self._constants = externalize_constants(module)
        libs = []
        if uses_openmp(module):
            path = openmp_library()
            if path is None:
                raise KilnError(
                    "kiln: this module runs on several threads but no OpenMP runtime was found; "
                    "install the 'intel-openmp' package or compile with threads=1"
                )
            openmp_handle()
            libs.append(path)
        cores = _cores()
        parts = split_module(module, cores) if cores > 1 else []
        try:
            engines, bound = self._build_parts(parts, opt_level, libs)
            self._engines = [self._build(module, opt_level, libs, bound), *engines]
        except RuntimeError as err:
            leftovers = sorted(_non_llvm_ops(module))
            hint = f"; ops not lowered to LLVM: {', '.join(leftovers)}" if leftovers else ""
            raise KilnError(f"kiln: the JIT could not compile the module: {err}{hint}") from None

    def _build(
        self, module: ir.Module, opt_level: int, libs: list[str], bound: dict | None = None
    ) -> Engine:
        engine = Engine(module, opt_level, libs)
        for name, data in self._constants.items():
            engine.register(name, data.ctypes.data)
        for name, address in (bound or {}).items():
            engine.register(name, address)
        return engine

    def _build_parts(
        self, parts: list, opt_level: int, libs: list[str]
    ) -> tuple[list[Engine], dict[str, int]]:
        """Builds each of ``split_module``'s parts on a thread of its own, all at once.

        Returns the engines and the addresses of the functions moved.
        """
        bound: dict[str, int] = {}
        if not parts:
            return [], bound
        warm_up(parts[0][0].context)
        built: list[dict] = [{} for _ in parts]

        def build(part: ir.Module, moved: list[str], out: dict) -> None:
            try:
                engine = self._build(part, opt_level, libs)
                out["addresses"] = {name: engine.lookup(name) for name in moved}
                out["engine"] = engine
            except BaseException as err:  # handed to the caller's thread
                out["error"] = err

        threads = [
            threading.Thread(target=build, args=(part, moved, out), name="kiln-jit")
            for (part, moved), out in zip(parts, built, strict=True)
        ]
        for thread in threads:
            thread.start()
        for thread in threads:
            thread.join()
        for out in built:
            if "error" in out:
                raise out["error"]
            missing = [name for name, address in out["addresses"].items() if not address]
            if missing:
                raise RuntimeError(f"a part of the split module lost {', '.join(missing)}")
            bound.update(out["addresses"])
        return [out["engine"] for out in built], bound

    def packed_function(self, name: str):
        """The packed entry ``void f(void **args)`` for function ``name``."""
        address = self._engines[0].lookup_packed(name)
        if not address:
            raise KilnError(f"kiln: no function '{name}' in the compiled module")
        return ctypes.CFUNCTYPE(None, ctypes.c_void_p)(address)
