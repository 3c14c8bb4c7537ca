"""A model file (``.mlir`` at the linalg level, or ``.onnx``) -> a library and its header.

What ``kiln-compile MODEL --target=cpu -o model.so`` runs. It builds for this
machine or, with ``triple``, for another architecture (``aarch64-linux-gnu``:
NEON, 4 f32 lanes); ``threads`` defaults to 1, as the build machine's core
count says nothing of the machine the library will run on. The library is
the same as ``kiln.compile(...).save(path)`` writes; the compile cache is not
involved (the output is the product).
"""

from __future__ import annotations

import os
import tempfile
from collections.abc import Sequence
from pathlib import Path

from kiln.aot.ctext import c_identifier
from kiln.aot.target import codegen_target
from kiln.errors import LibraryError
from kiln.runtime.library import LibraryInfo
from kiln.targets import DEFAULT_OPT_LEVEL, host_features, host_vector_width, target_entry


def compile_file(
    model: str | os.PathLike,
    output: str | os.PathLike,
    *,
    name: str | None = None,
    threads: int = 1,
    vector_width: int | None = None,
    triple: str | None = None,
    opt_level: int = DEFAULT_OPT_LEVEL,
    func_name: str | None = None,
    input_shapes: Sequence[Sequence[int]] | None = None,
    dump_dir: str | None = None,
    precision: str = "f32",
) -> LibraryInfo:
    """Builds ``output`` (a ``.so``) and its header beside it; returns the library's info.

    ``name`` is the C symbols' prefix (default: ``output``'s stem); ``vector_width``
    defaults to the target's (the host's, or 4 for aarch64); ``input_shapes``
    fixes an ONNX model's symbolic input dimensions. ``precision="bf16"`` computes
    contractions as AVX512-BF16 dot products (the host must have them; a library for
    another ``triple`` is built for them and refuses machines without them).
    """
    from kiln import api
    from kiln.aot.build import build_library
    from kiln.aot.header import write_library
    from kiln.buffer_sizes import check_buffer_sizes
    from kiln.driver import run_pipeline
    from kiln.lowering.cpu.assertions_to_errors import MESSAGES_ATTR
    from kiln.runtime.signature import entry_signature

    output = Path(output)
    if vector_width is None:
        vector_width = host_vector_width() if triple is None else 4
    bf16 = precision == "bf16"
    entry = target_entry("cpu")
    cpu = entry.make_options(  # validated before the model loads
        vector_width=vector_width,
        threads=threads,
        avx512_bf16="avx512_bf16" in host_features() if triple is None else bf16,
        precision=precision,
    )
    target = codegen_target(vector_width, triple, bf16=bf16)
    module, stem, source = _load(model, func_name, input_shapes)
    check_buffer_sizes(module, source_name=source)
    signature = api.torch_signature(module, entry_signature(module, func_name))
    if signature.dynamic:
        raise LibraryError(
            f"kiln-compile: a library needs static shapes; {signature.name} takes "
            f"{', '.join(map(str, signature.inputs))} (ONNX: fix them with --input-shape)"
        )
    api.mark_entry_points(module)
    run_pipeline(module, entry.pipeline(cpu), dump_dir=dump_dir, name=stem, source_name=source)
    with tempfile.TemporaryDirectory(prefix="kiln-compile-") as work:
        library = Path(work) / "model.so"
        info = build_library(
            module,
            signature,
            prefix=c_identifier(name or output.stem),
            threads=threads,
            target=target,
            opt_level=opt_level,
            assertions=api.string_list(module, MESSAGES_ATTR),
            output=library,
            work_dir=Path(work),
        )
        write_library(library, info, output)
    return info


def _load(model, func_name: str | None, input_shapes):
    """The model's module, its short name and its source file."""
    from kiln import api

    if not api.is_onnx_path(model):
        if input_shapes:
            raise ValueError("--input-shape applies to ONNX models only")
        path = Path(model)
        return _parse_untrusted_file(path), api.model_name(path), str(path)
    from kiln.frontend.onnx_import import import_onnx_model

    shapes = [tuple(s) for s in input_shapes] if input_shapes else None
    module = import_onnx_model(model, func_name, input_shapes=shapes)
    return module, api.model_name(model), os.fspath(model)


def _parse_untrusted_file(path: Path):
    """The MLIR file parsed as kiln-compile's other outputs are (``kiln.parse_probe``): a
    crash of MLIR's parser on malformed text is an error naming the file, not a signal."""
    from kiln.errors import KilnError, MLIRSyntaxError, format_mlir_error
    from kiln.ir import MLIRError, new_context
    from kiln.parse_probe import ParserCrash, parse_untrusted

    if not path.exists():
        raise FileNotFoundError(f"kiln-compile: no such .mlir file: {path}")
    try:
        return parse_untrusted(path.read_text(), new_context())
    except MLIRError as err:
        raise MLIRSyntaxError(format_mlir_error(err, str(path))) from None
    except ParserCrash as err:
        raise KilnError(f"{path}: error: {err}") from None
