"""kiln libraries: what one records about itself, and loading one as a callable.

A library (``kiln-compile --target=cpu -o model.so``, ``CompiledModel.save``)
carries its description as JSON in the ELF section ``.kiln_meta``
(``LibraryInfo``): its C symbol prefix, inputs and outputs, thread count,
target triple and the CPU features its code needs. ``load`` reads that
section without loading the file, refuses a library this machine cannot run
(another architecture, a CPU without the features, another kiln ABI) with a
``LibraryError`` saying why, and then calls it through ``ctypes``: this
module imports neither MLIR nor torch.

The C ABI (``model.h`` documents it for C callers)::

    int <prefix>_run_v1(uint64_t fingerprint, const void *const inputs[], void *const outputs[]);
    const char *<prefix>_last_error(void);   /* this thread's last failure */
    int <prefix>_set_threads(int threads);

``fingerprint`` is the header's ``<PREFIX>_FINGERPRINT``: a hash of the
interface (inputs, outputs, ABI), so a header from another build of another
interface gets ``KILN_ERROR_VERSION_MISMATCH`` rather than a wrong call.
"""

from __future__ import annotations

import ctypes
import dataclasses
import json
import os
import shutil
import threading
import weakref
from dataclasses import dataclass
from pathlib import Path

from kiln.errors import InputMismatchError, KilnError, LibraryError
from kiln.runtime.arguments import (
    TorchFastPath,
    checked_input,
    data_pointer,
    empty_output,
    is_torch,
)
from kiln.runtime.elf import ELFError, read_elf
from kiln.runtime.openmp import LIBRARY_NAME, openmp_handle, set_num_threads
from kiln.runtime.signature import Signature, TensorSpec

ABI_VERSION = 1
META_SECTION = ".kiln_meta"

# Status codes of <prefix>_run_v1 (model.h spells them KILN_OK, KILN_ERROR_...).
OK = 0
ERROR_RUNTIME_CHECK = 1
ERROR_VERSION_MISMATCH = 2
ERROR_UNSUPPORTED_CPU = 3
ERROR_NULL_ARGUMENT = 4
STATUS_NAMES = {
    OK: "KILN_OK",
    ERROR_RUNTIME_CHECK: "KILN_ERROR_RUNTIME_CHECK",
    ERROR_VERSION_MISMATCH: "KILN_ERROR_VERSION_MISMATCH",
    ERROR_UNSUPPORTED_CPU: "KILN_ERROR_UNSUPPORTED_CPU",
    ERROR_NULL_ARGUMENT: "KILN_ERROR_NULL_ARGUMENT",
}


@dataclass(frozen=True)
class LibraryInfo:
    """What a library records about itself (its ``.kiln_meta`` section)."""

    prefix: str  # the C symbols' prefix: <prefix>_run_v1, ...
    entry: str  # the compiled function's name
    inputs: tuple[TensorSpec, ...]
    outputs: tuple[TensorSpec, ...]
    threads: int
    openmp: bool  # links the OpenMP runtime (libiomp5)
    machine: str  # x86_64, aarch64
    triple: str
    cpu: str
    features: tuple[str, ...]  # /proc/cpuinfo flags the code needs
    fingerprint: int  # hash of the interface, see module doc
    abi: int = ABI_VERSION
    kiln_version: str = ""

    @property
    def signature(self) -> Signature:
        """The entry point's inputs and outputs."""
        return Signature(self.entry, self.inputs, self.outputs)

    def to_json(self) -> str:
        """The JSON the library embeds."""
        data = dataclasses.asdict(self)
        data["inputs"] = [_spec_json(s) for s in self.inputs]
        data["outputs"] = [_spec_json(s) for s in self.outputs]
        return json.dumps(data, sort_keys=True)

    @staticmethod
    def from_json(text: str) -> LibraryInfo:
        """Parses ``to_json``'s output; ValueError (KeyError, TypeError) when malformed."""
        data = json.loads(text)
        data["inputs"] = tuple(TensorSpec(tuple(s["shape"]), s["dtype"]) for s in data["inputs"])
        data["outputs"] = tuple(TensorSpec(tuple(s["shape"]), s["dtype"]) for s in data["outputs"])
        data["features"] = tuple(data["features"])
        known = {f.name for f in dataclasses.fields(LibraryInfo)}
        return LibraryInfo(**{k: v for k, v in data.items() if k in known})


def _spec_json(spec: TensorSpec) -> dict:
    return {"shape": list(spec.shape), "dtype": spec.dtype}


def read_info(path: str | os.PathLike) -> LibraryInfo:
    """The library's description; LibraryError if ``path`` is not a kiln library."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise LibraryError(f"kiln.load: no such file: {path}")
    try:
        elf = read_elf(path)
    except (ELFError, OSError) as err:
        raise LibraryError(f"kiln.load: {err}") from None
    raw = elf.section(META_SECTION)
    if raw is None:
        raise LibraryError(f"kiln.load: {path} is not a kiln library (no {META_SECTION} section)")
    try:
        info = LibraryInfo.from_json(raw.rstrip(b"\0").decode())
    except (ValueError, KeyError, TypeError) as err:
        raise LibraryError(
            f"kiln.load: {path} has a damaged {META_SECTION} section: {err}"
        ) from None
    if info.machine != elf.machine:
        raise LibraryError(f"kiln.load: {path} says it is for {info.machine} but is {elf.machine}")
    return info


def check_runnable(info: LibraryInfo, path: str, machine: str, cpu_flags: frozenset[str]) -> None:
    """Raises LibraryError if this kiln and this machine cannot run the library."""
    if info.abi != ABI_VERSION:
        newer = "a newer" if info.abi > ABI_VERSION else "an older"
        raise LibraryError(
            f"kiln.load: {path} was built by {newer} kiln (library ABI v{info.abi}, "
            f"kiln {info.kiln_version or '?'}); this kiln loads ABI v{ABI_VERSION}: rebuild it"
        )
    if info.machine != machine:
        raise LibraryError(
            f"kiln.load: {path} is built for {info.machine} ({info.triple}); this machine is "
            f"{machine}: build it for this machine, or run it on an {info.machine} one"
        )
    missing = [f for f in info.features if f not in cpu_flags]
    if cpu_flags and missing:
        raise LibraryError(
            f"kiln.load: {path} is built for {info.cpu} CPUs, and this CPU lacks "
            f"{', '.join(missing)}: rebuild it on (or for) this machine"
        )


def load(path: str | os.PathLike, owned_dir: str | os.PathLike | None = None) -> LoadedModel:
    """The library at ``path`` as a callable (see ``LoadedModel``); ``owned_dir`` is a
    folder deleted with the model (a private build's)."""
    from kiln.aot.target import host_machine
    from kiln.targets import host_features

    path = os.path.abspath(os.fspath(path))
    info = read_info(path)
    check_runnable(info, path, host_machine(), host_features())
    return LoadedModel(path, info, _dlopen(path, info), owned_dir)


def _dlopen(path: str, info: LibraryInfo) -> ctypes.CDLL:
    if info.openmp:
        openmp_handle()  # kiln's libiomp5, if installed, serves the library's NEEDED entry
    try:
        return ctypes.CDLL(path)
    except OSError as err:
        hint = ""
        if LIBRARY_NAME in str(err):
            hint = (
                f"; it runs on several threads and needs the OpenMP runtime {LIBRARY_NAME}: "
                f"pip install intel-openmp, or copy {LIBRARY_NAME} beside {Path(path).name}"
            )
        raise LibraryError(f"kiln.load: cannot load {path}: {err}{hint}") from None


class LoadedModel:
    """A kiln library, called like the compiled model: numpy arrays or CPU torch tensors in,
    outputs of the same kind out. Wrong input counts, shapes or dtypes raise
    ``InputMismatchError`` before any native code runs; a failed runtime check of the
    model raises ``KilnError``. Calls are serialized (the library's temporaries are static).
    """

    def __init__(self, path: str, info: LibraryInfo, library: ctypes.CDLL, owned_dir=None):
        self.path = path
        self.info = info
        self.signature = info.signature
        self.threads = info.threads
        self._library = library
        # Arguments are ctypes objects built once: a call converts nothing.
        self._run = _function(library, f"{info.prefix}_run_v{ABI_VERSION}", ctypes.c_int)
        self._fingerprint = ctypes.c_uint64(info.fingerprint)
        self._last_error = _function(library, f"{info.prefix}_last_error", ctypes.c_char_p)
        self._set_threads = _function(library, f"{info.prefix}_set_threads", ctypes.c_int)
        self._lock = threading.Lock()
        n_in, n_out = len(info.inputs), len(info.outputs)
        self._inputs = (ctypes.c_void_p * max(n_in, 1))()
        self._outputs = (ctypes.c_void_p * max(n_out, 1))()
        self._fast = TorchFastPath(info.signature)
        self.cache_status = "off"  # kiln.compile: hit, miss, rebuilt or off
        if owned_dir is not None:  # a private build: its folder goes with the model
            weakref.finalize(self, shutil.rmtree, owned_dir, True)

    def __call__(self, *args):
        outputs = self._call_torch_fast(args)
        if outputs is not None:
            return outputs
        inputs = self._check_inputs(args)
        use_torch = any(is_torch(a) for a in args)
        outputs = [empty_output(spec, use_torch) for spec in self.signature.outputs]
        self.run_raw([data_pointer(x) for x in inputs] + [data_pointer(o) for o in outputs])
        return outputs[0] if len(outputs) == 1 else tuple(outputs)

    def _call_torch_fast(self, args):
        """The common case (``TorchFastPath``); None (nothing done) for anything else,
        which the general path then checks, converts or reports."""
        results = self._fast.outputs(args)
        if results is None:
            return None
        with self._lock:
            for i, arg in enumerate(args):
                self._inputs[i] = arg.data_ptr()
            for i, result in enumerate(results):
                self._outputs[i] = result.data_ptr()
            self._invoke()
        return results[0] if len(results) == 1 else tuple(results)

    def run_raw(self, pointers) -> None:
        """Calls the library on raw data pointers (inputs, then outputs)."""
        n_in = len(self.signature.inputs)
        with self._lock:
            self._inputs[:n_in] = pointers[:n_in]
            self._outputs[: len(pointers) - n_in] = pointers[n_in:]
            self._invoke()

    def _invoke(self) -> None:
        """One call on the pointers in place (the lock held); KilnError if it failed."""
        if self.info.openmp:
            self._apply_threads()
        status = self._run(self._fingerprint, self._inputs, self._outputs)
        if status != OK:
            message = (self._last_error() or b"").decode(errors="replace")
            raise KilnError(f"kiln: {message}")

    def _apply_threads(self) -> None:
        if openmp_handle() is not None:
            set_num_threads(self.threads)  # the runtime the library links, shared with the JIT
        else:
            self._set_threads(self.threads)

    def set_threads(self, threads: int) -> None:
        """Changes the number of threads the code runs on (up to the compiled split)."""
        if threads < 1:
            raise ValueError("threads must be >= 1")
        self.threads = threads

    def profile(self):
        """Libraries count no cycles: profiles come from ``kiln.compile(..., profile=True)``,
        which compiles with the JIT."""
        raise ValueError("compile with kiln.compile(..., profile=True) to profile")

    profile_cycles = profile

    def save(self, path: str | os.PathLike) -> Path:
        """Copies the library to ``path`` and writes its C header beside it (``.h``)."""
        from kiln.aot.header import write_library

        return write_library(self.path, self.info, path)

    def _check_inputs(self, args) -> list:
        specs = self.signature.inputs
        if len(args) != len(specs):
            expected = ", ".join(str(s) for s in specs)
            raise InputMismatchError(
                f"{self.signature.name} takes {len(specs)} input(s) ({expected}), got {len(args)}"
            )
        return [checked_input(a, s, i) for i, (a, s) in enumerate(zip(args, specs, strict=True))]

    def __repr__(self) -> str:
        inputs = ", ".join(map(str, self.signature.inputs))
        return f"<kiln library {self.path}: {self.signature.name}({inputs})>"


def _function(library: ctypes.CDLL, name: str, restype):
    try:
        fn = getattr(library, name)
    except AttributeError:
        raise LibraryError(f"kiln.load: the library has no function {name}") from None
    fn.restype = restype
    return fn
