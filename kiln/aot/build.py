"""An LLVM-dialect module -> a shared library with its C interface (``model.so``).

The library holds the model's code (``codegen.emit_objects``), its weights
as read-only data (an object written straight from their arrays,
``weights_object``, so they cost nothing to compile), and the C wrapper (``wrapper``) that
exports ``<prefix>_run_v1`` and records ``LibraryInfo`` in ``.kiln_meta``.
Only the wrapper's functions are exported (a version script), so several
kiln libraries can live in one process. A library that runs on several
threads links the OpenMP runtime (libiomp5) and finds it through its
RUNPATH: ``$ORIGIN`` first (ship libiomp5.so beside it), then the folder it
was found in at build time.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import subprocess
from pathlib import Path

from kiln.aot.codegen import emit_objects, entry_arity
from kiln.aot.target import CodegenTarget, host_machine
from kiln.aot.toolchain import ToolchainError, c_compiler
from kiln.aot.weights_object import write_weights_object
from kiln.aot.wrapper import wrapper_source
from kiln.errors import LibraryError
from kiln.ir import ir
from kiln.runtime.jit import uses_openmp
from kiln.runtime.library import ABI_VERSION, LibraryInfo, read_info
from kiln.runtime.openmp import LIBRARY_NAME, openmp_library
from kiln.runtime.signature import Signature


def interface_fingerprint(prefix: str, signature: Signature) -> int:
    """64 bits naming the library's interface: what a header and its library must agree on."""
    interface = {
        "abi": ABI_VERSION,
        "prefix": prefix,
        "inputs": [[list(s.shape), s.dtype] for s in signature.inputs],
        "outputs": [[list(s.shape), s.dtype] for s in signature.outputs],
    }
    digest = hashlib.sha256(json.dumps(interface, sort_keys=True).encode()).digest()
    return int.from_bytes(digest[:8], "little")


def build_library(
    module: ir.Module,
    signature: Signature,
    *,
    prefix: str,
    threads: int,
    target: CodegenTarget,
    opt_level: int,
    assertions: list[str],
    output: Path,
    work_dir: Path,
) -> LibraryInfo:
    """Builds ``output`` from the LLVM-dialect ``module`` (the ``llvm`` stage's output).

    ``work_dir`` receives the intermediate files (LLVM IR, objects, the wrapper).
    """
    if signature.dynamic:
        raise LibraryError(
            f"kiln: a library needs static shapes; {signature.name} has dynamic dimensions "
            f"({', '.join(map(str, signature.inputs))})"
        )
    arity = entry_arity(module, signature.name)
    if arity != len(signature.inputs) + len(signature.outputs):
        raise LibraryError(
            f"kiln: the entry point {signature.name} does not take one pointer per input and "
            "output (the bare-pointer ABI of static shapes)"
        )
    from importlib.metadata import version

    info = LibraryInfo(
        prefix=prefix,
        entry=signature.name,
        inputs=signature.inputs,
        outputs=signature.outputs,
        threads=threads,
        openmp=uses_openmp(module),
        machine=target.machine,
        triple=target.triple,
        cpu=target.cpu,
        features=target.features,
        fingerprint=interface_fingerprint(prefix, signature),
        kiln_version=version("kiln"),
    )
    try:
        objects, constants, large = emit_objects(module, target, opt_level, work_dir)
        wrapper = work_dir / "wrapper.c"
        wrapper.write_text(wrapper_source(info, assertions))
        sources = [wrapper, *objects]
        if constants:
            weights = work_dir / "weights.o"
            sources.append(write_weights_object(constants, target.machine, weights, large=large))
        _link(sources, info, target, output, work_dir, large=large)
    except LibraryError as err:
        raise _with_reproducer(err, work_dir, prefix) from None
    return read_info(output)


def _with_reproducer(err: LibraryError, work_dir: Path, prefix: str) -> LibraryError:
    """The error, its files kept in the reproducer folder (the work folder is temporary)."""
    if isinstance(err, ToolchainError):
        return err
    from kiln.driver import repro_dir

    kept = repro_dir() / f"{prefix}.library"
    try:
        shutil.rmtree(kept, ignore_errors=True)
        shutil.copytree(work_dir, kept, ignore=shutil.ignore_patterns("weights.o"))
    except OSError:
        return err
    return type(err)(str(err).replace(str(work_dir), str(kept)) + f"\nfiles kept in: {kept}")


def _link(
    sources: list[Path], info: LibraryInfo, target, output: Path, work_dir: Path, large: bool
) -> None:
    compiler = c_compiler(target.machine, host_machine())
    exports = work_dir / "exports.map"
    names = [f"{info.prefix}_run_v{ABI_VERSION}", f"{info.prefix}_last_error"]
    names.append(f"{info.prefix}_set_threads")
    exports.write_text("{\n  global: " + "; ".join(names) + ";\n  local: *;\n};\n")
    command = [compiler, "-shared", "-fPIC", "-O2", "-o", str(output), *map(str, sources)]
    command += [f"-Wl,--version-script={exports}", "-Wl,--no-undefined", "-Wl,-z,noexecstack"]
    if large:
        # The parts reach the weights through the GOT (64-bit addresses); the linker's
        # relaxation into 32-bit direct offsets would not fit past 2 GiB.
        command.append("-Wl,--no-relax")
    if info.openmp:
        command += _openmp_flags(target)
    command += ["-lm", "-lpthread"]
    output.parent.mkdir(parents=True, exist_ok=True)
    result = subprocess.run(command, capture_output=True, text=True)
    if result.returncode != 0:
        raise LibraryError(
            f"kiln: linking {output.name} failed:\n{result.stderr.strip()}\n"
            f"command: {' '.join(command)}"
        )


def _openmp_flags(target: CodegenTarget) -> list[str]:
    """Links the OpenMP runtime: kiln's libiomp5 for this machine, or $KILN_OPENMP_<ARCH>."""
    variable = f"KILN_OPENMP_{target.machine.upper()}"
    path = os.environ.get(variable) or (openmp_library() if target.is_host else None)
    if path is None:
        where = (
            "install the 'intel-openmp' package"
            if target.is_host
            else f"set {variable} to an OpenMP runtime (libomp.so or {LIBRARY_NAME}) built "
            f"for {target.machine}"
        )
        raise ToolchainError(
            f"kiln: this library runs on several threads and links an OpenMP runtime: {where}, "
            "or build it with threads=1"
        )
    directory = os.path.dirname(os.path.abspath(path))
    return [path, "-Wl,-rpath,$ORIGIN", f"-Wl,-rpath,{directory}"]
