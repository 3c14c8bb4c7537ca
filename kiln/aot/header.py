"""The C header of a kiln library (``model.h``), and writing a library with its header.

The header is generated from the library's own description (``LibraryInfo``), so a
library loaded in a process without MLIR can still be saved with its header.
"""

from __future__ import annotations

import os
import shutil
import tempfile
import textwrap
from pathlib import Path

from kiln.aot.ctext import C_TYPES, DTYPE_CODES, ELEMENT_BYTES, c_identifier
from kiln.runtime.library import ABI_VERSION, STATUS_NAMES, LibraryInfo
from kiln.runtime.signature import TensorSpec

_CONTRACT = """\
 * The contract:
 * - {p}_run(inputs, outputs) runs the model once. inputs[i] and outputs[i] point to
 *   caller-allocated, dense, row-major (C-contiguous) buffers of the shapes and element
 *   types below; outputs must not overlap inputs. Element alignment suffices (64 is best).
 * - It returns KILN_OK (0) or an error code; {p}_last_error() then describes the calling
 *   thread's last failure. After an error the outputs hold unspecified values.
 *   KILN_ERROR_RUNTIME_CHECK: a check of the model failed on these inputs (a shape or
 *   index assumption); KILN_ERROR_VERSION_MISMATCH: this header comes from a library with
 *   another interface; KILN_ERROR_UNSUPPORTED_CPU: this CPU lacks a feature the code was
 *   built for; KILN_ERROR_NULL_ARGUMENT: a NULL array or buffer pointer (a tensor with
 *   no elements may have a NULL buffer).
 * - Calls may come from any thread; the library runs them one at a time (its
 *   temporaries are static), each on up to {P}_THREADS OpenMP threads.
 * - Weights are inside the library: nothing else is read at run time.
"""


def header_text(info: LibraryInfo, library_name: str) -> str:
    """The C header of ``info``'s library, shipped as ``library_name``.

    Its names come from the file's stem (``model.so`` -> ``model_run``,
    ``MODEL_THREADS``); they call the library's own symbols, whose prefix was
    fixed when it was built (``info.prefix``).
    """
    lib = info.prefix
    p = c_identifier(Path(library_name).stem)
    P = p.upper()
    runtime = (
        "libiomp5.so (OpenMP, from pip's intel-openmp), found through the library's RUNPATH "
        "($ORIGIN first: ship it beside the library) or LD_LIBRARY_PATH"
        if info.openmp
        else "none beyond libc and libm"
    )
    about = (
        f"{p}.h: the C interface of {library_name}, built by kiln {info.kiln_version}. "
        f"Generated: do not edit. Model function: {info.entry}; code for {info.triple}, "
        f"{info.cpu} (it needs {', '.join(info.features)}). Runtime libraries: {runtime}."
    )
    lines = [
        "/* " + "\n * ".join(textwrap.wrap(about, 88)),
        " *",
        _CONTRACT.format(p=p, P=P).rstrip("\n"),
        " */",
        f"#ifndef KILN_{P}_H",
        f"#define KILN_{P}_H",
        "",
        "#include <stdint.h>",
        "",
        "#ifdef __cplusplus",
        'extern "C" {',
        "#endif",
        "",
        *_shared_definitions(),
        "",
        f"#define {P}_ABI_VERSION {info.abi}",
        f"#define {P}_FINGERPRINT 0x{info.fingerprint:016x}ULL",
        f"#define {P}_THREADS {info.threads}",
        f"#define {P}_NUM_INPUTS {len(info.inputs)}",
        f"#define {P}_NUM_OUTPUTS {len(info.outputs)}",
    ]
    for kind, specs in (("INPUT", info.inputs), ("OUTPUT", info.outputs)):
        for i, spec in enumerate(specs):
            lines += ["", *_tensor_lines(f"{P}_{kind}{i}", f"{p}_{kind.lower()}{i}_t", spec)]
    lines += ["", *_tables(P, info)]
    lines += ["", *_functions(lib, p, P), "", "#ifdef __cplusplus", "}", "#endif"]
    lines += [f"#endif /* KILN_{P}_H */", ""]
    return "\n".join(lines)


def _functions(lib: str, p: str, P: str) -> list[str]:
    """The library's functions, and the header's names for them when they differ."""
    lines = [
        "/* The library's functions (prefix fixed when it was built). */",
        f"int {lib}_run_v{ABI_VERSION}(uint64_t fingerprint, const void *const inputs[],",
        f"{' ' * (len(lib) + 12)}void *const outputs[]);",
        f"const char *{lib}_last_error(void);",
        f"int {lib}_set_threads(int threads);",
        "",
        "/* Runs the model: see the contract above. */",
        f"static inline int {p}_run(const void *const inputs[], void *const outputs[]) {{",
        f"  return {lib}_run_v{ABI_VERSION}({P}_FINGERPRINT, inputs, outputs);",
        "}",
    ]
    if p != lib:
        lines += [
            '/* The calling thread\'s last failure, "" if none. */',
            f"static inline const char *{p}_last_error(void) {{ return {lib}_last_error(); }}",
            "/* Threads of later calls (omp_set_num_threads); KILN_ERROR_NULL_ARGUMENT if < 1. */",
            f"static inline int {p}_set_threads(int threads) {{ return {lib}_set_threads(threads); }}",
        ]
    else:
        lines += [
            f'/* {p}_last_error(): the calling thread\'s last failure, "" if none.',
            f" * {p}_set_threads(n): threads of later calls (omp_set_num_threads);",
            " * KILN_ERROR_NULL_ARGUMENT if n < 1. */",
        ]
    return lines


def _shared_definitions() -> list[str]:
    """Status and dtype codes, defined once however many kiln headers a program includes."""
    lines = ["#ifndef KILN_STATUS_CODES", "#define KILN_STATUS_CODES"]
    lines += [f"#define {name} {code}" for code, name in STATUS_NAMES.items()]
    lines += [f"#define KILN_DTYPE_{name.upper()} {code}" for name, code in DTYPE_CODES.items()]
    lines += ["#endif"]
    return lines


def _tables(P: str, info: LibraryInfo) -> list[str]:
    """Byte sizes and dtypes indexed by position, for code that loops over inputs and outputs."""
    lines = ["/* Per input / output, by position. */"]
    for kind, specs in (("INPUT", info.inputs), ("OUTPUT", info.outputs)):
        if not specs:  # C has no empty arrays
            continue
        sizes = ", ".join(f"{P}_{kind}{i}_BYTES" for i in range(len(specs)))
        dtypes = ", ".join(f"{P}_{kind}{i}_DTYPE" for i in range(len(specs)))
        lines.append(f"static const int64_t {P}_{kind}_BYTES[{len(specs)}] = {{{sizes}}};")
        lines.append(f"static const int {P}_{kind}_DTYPES[{len(specs)}] = {{{dtypes}}};")
    return lines


def _tensor_lines(macro: str, c_type_name: str, spec: TensorSpec) -> list[str]:
    count = 1
    for dim in spec.shape:
        count *= dim
    lines = [
        f"/* {macro.rsplit('_', 1)[1].lower()}: {spec} */",
        f"typedef {C_TYPES[spec.dtype]} {c_type_name};",
        f"#define {macro}_DTYPE KILN_DTYPE_{spec.dtype.upper()}",
        f"#define {macro}_RANK {len(spec.shape)}",
        f"#define {macro}_NUM_ELEMENTS {count}",
        f"#define {macro}_BYTES {count * ELEMENT_BYTES[spec.dtype]}",
    ]
    if spec.shape:  # a scalar (rank 0) has no shape array: C has no empty arrays
        dims = ", ".join(map(str, spec.shape))
        lines.append(f"static const int64_t {macro}_SHAPE[{len(spec.shape)}] = {{{dims}}};")
    return lines


def write_library(library: str | os.PathLike, info: LibraryInfo, path: str | os.PathLike) -> Path:
    """Copies ``library`` to ``path`` (atomically) and writes its header beside it.

    ``path`` gets the ``.so`` suffix if it has none; returns the library's path.
    """
    path = Path(path)
    if path.suffix != ".so":
        path = path.with_name(path.name + ".so")
    if not Path(library).exists():
        raise FileNotFoundError(
            f"save: the compiled library {library} is gone (evicted from the cache?): compile again"
        )
    path.parent.mkdir(parents=True, exist_ok=True)
    _replace(path, lambda tmp: shutil.copyfile(library, tmp))
    header = header_text(info, path.name)
    _replace(path.with_suffix(".h"), lambda tmp: Path(tmp).write_text(header))
    return path


def _replace(path: Path, write) -> None:
    """Writes ``path`` through a temporary file beside it, so readers never see half of it."""
    fd, tmp = tempfile.mkstemp(prefix=f".{path.name}.", dir=path.parent)
    os.close(fd)
    try:
        write(tmp)
        os.chmod(tmp, 0o755 if path.suffix == ".so" else 0o644)
        os.replace(tmp, path)
    except BaseException:
        Path(tmp).unlink(missing_ok=True)
        raise
