"""MLIR's ExecutionEngine through its C API, so that compiling releases the GIL.

The Python binding's constructor holds the GIL for the whole of LLVM's
optimization of the module; called through ``ctypes`` the same C function
lets other threads run, and two engines can be built at once (``JitModule``
compiles a module in two halves on two cores). The library is the one the
MLIR Python bindings themselves load, so module handles pass between them.

Thread safety: engines built at once must come from distinct modules. The
first engine of a context registers MLIR's LLVM translations with it;
``warm_up`` does that once, alone, before engines are built concurrently.
"""

from __future__ import annotations

import ctypes
import os
from functools import lru_cache

from kiln.ir import ir

CAPI_LIBRARY = "libTorchMLIRAggregateCAPI.so"


class _StringRef(ctypes.Structure):
    _fields_ = [("data", ctypes.c_char_p), ("length", ctypes.c_size_t)]


class _Handle(ctypes.Structure):
    """An MLIR C API handle: a struct holding one pointer (MlirModule, MlirExecutionEngine)."""

    _fields_ = [("ptr", ctypes.c_void_p)]


@lru_cache(maxsize=1)
def _capi() -> ctypes.CDLL:
    path = os.path.join(os.path.dirname(ir.__file__), "_mlir_libs", CAPI_LIBRARY)
    lib = ctypes.CDLL(path)
    lib.mlirExecutionEngineCreate.restype = _Handle
    lib.mlirExecutionEngineCreate.argtypes = [
        _Handle,
        ctypes.c_int,
        ctypes.c_int,
        ctypes.POINTER(_StringRef),
        ctypes.c_bool,
    ]
    for name in ("mlirExecutionEngineLookup", "mlirExecutionEngineLookupPacked"):
        getattr(lib, name).restype = ctypes.c_void_p
        getattr(lib, name).argtypes = [_Handle, _StringRef]
    lib.mlirExecutionEngineRegisterSymbol.restype = None
    lib.mlirExecutionEngineRegisterSymbol.argtypes = [_Handle, _StringRef, ctypes.c_void_p]
    lib.mlirExecutionEngineDestroy.restype = None
    lib.mlirExecutionEngineDestroy.argtypes = [_Handle]
    return lib


def _string_ref(text: str) -> _StringRef:
    data = text.encode()
    return _StringRef(data, len(data))


def _module_handle(module: ir.Module) -> _Handle:
    capsule = module._CAPIPtr
    get_name = ctypes.pythonapi.PyCapsule_GetName
    get_name.restype, get_name.argtypes = ctypes.c_char_p, [ctypes.py_object]
    get_pointer = ctypes.pythonapi.PyCapsule_GetPointer
    get_pointer.restype, get_pointer.argtypes = ctypes.c_void_p, [ctypes.py_object, ctypes.c_char_p]
    return _Handle(get_pointer(capsule, get_name(capsule)))


class Engine:
    """Machine code for one LLVM-dialect module (optimized at ``opt_level``).

    Optimization runs in the constructor; code generation and linking run on
    the first lookup, so symbols the code needs from elsewhere must be
    registered before it.
    """

    def __init__(self, module: ir.Module, opt_level: int, shared_libs: list[str]):
        refs = [_string_ref(path) for path in shared_libs]
        paths = (_StringRef * max(len(refs), 1))(*refs)
        # Kept on the engine: an engine that lives until interpreter exit is destroyed
        # after this module's globals (``_capi`` among them) may already be None.
        self._destroy = _capi().mlirExecutionEngineDestroy
        self._handle = _capi().mlirExecutionEngineCreate(
            _module_handle(module), opt_level, len(refs), paths, False
        )
        if not self._handle.ptr:
            raise RuntimeError("Failure while creating the ExecutionEngine.")

    def register(self, name: str, address: int) -> None:
        """Binds the external symbol ``name`` to ``address``."""
        _capi().mlirExecutionEngineRegisterSymbol(self._handle, _string_ref(name), address)

    def lookup(self, name: str) -> int:
        """Address of function ``name`` (0 if absent)."""
        return _capi().mlirExecutionEngineLookup(self._handle, _string_ref(name)) or 0

    def lookup_packed(self, name: str) -> int:
        """Address of ``void name(void **args)``, the packed wrapper of ``name`` (0 if absent)."""
        return _capi().mlirExecutionEngineLookupPacked(self._handle, _string_ref(name)) or 0

    def __del__(self) -> None:
        handle = getattr(self, "_handle", None)
        if handle is not None and handle.ptr:
            self._destroy(handle)
            handle.ptr = None


def warm_up(context: ir.Context) -> None:
    """Builds an empty engine in ``context`` (a few ms): MLIR registers its LLVM translations.

    That registration writes to the context; once done, building engines
    only reads it, and several may be built at once.
    """
    Engine(ir.Module.create(ir.Location.unknown(context)), 0, [])
