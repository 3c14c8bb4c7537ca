"""``kiln.compile``: a model in, a fast callable out.

MLIR and torch are imported when a model has to be loaded or compiled, not
before: a compile-cache hit on MLIR text imports neither (``kiln.aot.driver``).
"""

from __future__ import annotations

import os
import sys
import types
from pathlib import Path
from typing import TYPE_CHECKING

from kiln.errors import DumpDirError, KilnError, MLIRSyntaxError, OptionError, format_mlir_error
from kiln.targets import DEFAULT_OPT_LEVEL, target_entry

if TYPE_CHECKING:
    from kiln.ir import ir
    from kiln.pipeline import Pipeline


def compile(  # noqa: A001 - the natural name, like torch.compile
    model,
    *example_inputs,
    target: str = "cpu",
    threads: int | None = None,
    func_name: str | None = None,
    dump_dir: str | os.PathLike | None = None,
    opt_level: int = DEFAULT_OPT_LEVEL,
    pipeline: Pipeline | None = None,
    profile: bool = False,
    cuda_options: dict | None = None,
    dynamic_shapes=None,
    report: str | os.PathLike | None = None,
    quiet: bool | None = None,
    precision: str = "f32",
    example_kwargs: dict | None = None,
    **unknown,
) -> object:
    """Compiles ``model`` for ``target`` and returns a callable (see below).

    ``model`` is a ``torch.nn.Module`` (an ``ExportedProgram`` or its ``.module()``
    too, or a TorchScript module: ``torch.jit.script``/``trace``/``load``), a function
    of tensors (traced with ``example_inputs``), a path to an
    ``.mlir`` file, or MLIR text, at the linalg-on-tensors level.
    ``threads`` defaults to the CPUs available (or ``KILN_NUM_THREADS``).
    ``dump_dir`` receives the IR after every stage. ``pipeline`` replaces
    the target's default pipeline (``kiln.targets.TARGETS``; e.g. one with a
    stage swapped or a custom Python pass added); it must end at the LLVM
    dialect. ``profile=True`` counts the cycles of every loop nest
    (``CompiledModel.profile()`` reports them). ``target="cuda"`` compiles
    for an NVIDIA GPU (``cuda_options`` are ``kiln.lowering.cuda.pipeline.CudaTarget``
    fields, e.g. ``{"chip": "sm_80"}``; the chip defaults to GPU 0's, ``sm_90a``
    on an H100) and returns a ``CudaProgram`` taking torch CUDA tensors; it
    needs the CUDA driver to load.
    ``dynamic_shapes`` (torch.export's format, e.g. ``{"x": {0: Dim("batch")}}``)
    compiles once for every size of the dimensions it names; such code runs
    scalar loops for now (the fast paths need static shapes).
    ``example_kwargs`` are example inputs passed by name (``{"attention_mask": mask}``);
    the compiled model takes its inputs positionally or by name, as the model does
    (``kiln.frontend.keyword_inputs``).
    A PyTorch model is called like the module (``kiln.frontend.boundary``):
    non-tensor inputs (Python numbers, ``None``) are fixed at compile time and
    checked at each call (pass a 0-d tensor for a number that changes);
    Python numbers, constants and nested outputs come back as eager returns
    them; inputs and buffers the model mutates in place are updated as in eager.
    ``report="report.html"`` writes an HTML report of the compile (stage
    times and sizes, fusion groups; with ``profile=True`` the model is run on
    copies of ``example_inputs`` and every loop nest is placed on a roofline,
    see ``kiln.debug.report``). On a terminal one line per stage shows
    progress; ``quiet=True`` (or ``KILN_QUIET=1``) silences it.
    ``precision="bf16"`` (cpu) stores the weights of contractions (Linear, matmul)
    in bf16 and computes them as AVX512-BF16 dot products accumulating in f32;
    inputs, outputs and elementwise work stay f32. A CPU without ``avx512_bf16``
    is an ``OptionError`` (no silent fallback to f32).

    On the CPU, a statically shaped model becomes a shared library that is
    cached on disk (``kiln.aot.cache``: ``KILN_CACHE_DIR``, ``KILN_CACHE=0``)
    and loaded as a ``kiln.runtime.library.LoadedModel``, whose ``save(path)``
    writes the library and its C header (``docs/deploy.md``). Dynamic shapes
    and ``profile=True`` run in the JIT (a ``CompiledModel``, not cached).
    """
    if unknown:
        raise TypeError(
            f"kiln.compile: no option {', '.join(sorted(unknown))}; the model's inputs by name "
            f"go in example_kwargs={{...}} (e.g. example_kwargs={{{next(iter(unknown))!r}: ...}})"
        )
    entry = target_entry(target)
    model = _unwrap_exported(model)
    _check_arguments(threads, opt_level, dump_dir)
    _check_precision(precision, target, pipeline)
    options = {
        "target": target,
        "threads": threads,
        "func_name": func_name,
        "dump_dir": dump_dir,
        "opt_level": opt_level,
        "pipeline": pipeline,
        "profile": profile,
        "cuda_options": cuda_options,
        "report": report,
        "quiet": quiet,
        "precision": precision,
    }
    if isinstance(model, str | os.PathLike):  # MLIR or ONNX: positional inputs, no torch import
        if example_kwargs:
            raise OptionError(
                "kiln.compile: example_kwargs= needs a PyTorch model or function; "
                f"{model_name(model)!r} takes positional inputs only"
            )
        return _compile_positional(model, example_inputs, entry, dynamic_shapes, **options)
    from kiln.frontend.keyword_inputs import called_by_name, prepare
    from kiln.frontend.torchscript import from_torchscript, is_torchscript

    if is_torchscript(model):  # torch.jit.script / trace / load: converted by PyTorch
        model = from_torchscript(model, example_inputs, example_kwargs)

    model, example_inputs, dynamic_shapes, signature, names = prepare(
        model, example_inputs, example_kwargs, dynamic_shapes
    )
    compiled = _compile_positional(model, example_inputs, entry, dynamic_shapes, **options)
    return called_by_name(compiled, model, signature, names)


def _compile_positional(
    model,
    example_inputs: tuple,
    entry,
    dynamic_shapes,
    *,
    target,
    threads,
    func_name,
    dump_dir,
    opt_level,
    pipeline,
    profile,
    cuda_options,
    report,
    quiet,
    precision,
):
    """``compile`` of a model taking its inputs positionally (``keyword_inputs.prepare``)."""
    if target == "cuda":
        if threads is not None:
            raise ValueError(
                "kiln.compile: threads= is a cpu option; target 'cuda' takes cuda_options"
            )
        if report is not None:
            raise ValueError(
                "kiln.compile: report= is a cpu option (stage times work on any target)"
            )
        options = entry.make_options(**(cuda_options or {}))  # validated before the model loads
        from kiln.debug.progress import CompileLog

        log = CompileLog(quiet=quiet)
        dumps = str(dump_dir) if dump_dir else None
        module, name, _, boundary = import_model(
            model, example_inputs, func_name, dynamic_shapes, dumps, host_loops=entry.host_loops
        )
        log.name = name
        log.mark("import")
        compiled = _compile_cuda(
            module, name, dump_dir, options, chip_given="chip" in (cuda_options or {}), log=log
        )
        return called_like(compiled, boundary)
    if cuda_options:
        raise ValueError(f"kiln.compile: cuda_options= is for target 'cuda', not '{target}'")
    from kiln.aot.driver import compile_cpu

    return compile_cpu(
        model,
        example_inputs,
        threads=threads,
        func_name=func_name,
        dump_dir=dump_dir,
        opt_level=opt_level,
        pipeline=pipeline,
        profile=profile,
        dynamic_shapes=dynamic_shapes,
        quiet=quiet,
        report=report,
        precision=precision,
    )


def _unwrap_exported(model):
    """An ``ExportedProgram`` (``torch.export.export``'s result, e.g. a PT2E-quantized
    model) as the module it runs (``.module()``); anything else as it is."""
    exported = getattr(sys.modules.get("torch.export"), "ExportedProgram", None)
    if exported is not None and isinstance(model, exported):
        return model.module()
    return model


def _check_precision(precision, target: str, pipeline) -> None:
    """Raises an OptionError for a precision kiln cannot compile ``target`` at, here."""
    if precision == "f32":
        return
    if precision != "bf16":
        raise OptionError(f"kiln.compile: precision must be 'f32' or 'bf16', got {precision!r}")
    if target != "cpu":
        raise OptionError(f"kiln.compile: precision='bf16' is a cpu option, not '{target}'s")
    if pipeline is not None:
        raise OptionError(
            "kiln.compile: precision= shapes the target's pipeline; a custom pipeline= "
            "sets its own (build it from CpuTarget(precision='bf16'))"
        )
    from kiln.targets import host_target

    try:
        host_target(1, precision=precision)
    except ValueError as err:
        raise OptionError(f"kiln.compile: {err}") from None


def called_like(compiled, boundary):
    """``compiled``, wrapped to be called like the PyTorch model where the two differ
    (Python-number inputs and outputs, in-place mutation, nested structures)."""
    if boundary is None or boundary.is_plain:
        return compiled
    from kiln.frontend.boundary import TorchCall

    return TorchCall(compiled, boundary)


def _check_arguments(threads, opt_level, dump_dir) -> None:
    """Raises a KilnError naming the argument of ``compile`` whose value is unusable.

    ``dump_dir`` is created here, so that a file in its way (or a folder that
    cannot be written) is reported before the model is traced.
    """
    if isinstance(opt_level, bool) or not isinstance(opt_level, int) or opt_level not in range(4):
        raise OptionError(
            f"kiln.compile: opt_level must be 0, 1, 2 or 3 (LLVM -O levels), got {opt_level!r}"
        )
    if threads is not None and (
        isinstance(threads, bool) or not isinstance(threads, int) or threads < 1
    ):
        raise OptionError(
            f"kiln.compile: threads must be an integer >= 1 (or None: every CPU), got {threads!r}"
        )
    if dump_dir is None:
        return
    try:
        Path(dump_dir).mkdir(parents=True, exist_ok=True)
    except OSError as err:
        reason = "a file is in the way" if isinstance(err, FileExistsError) else err.strerror
        raise DumpDirError(
            f"kiln.compile: dump_dir={os.fspath(dump_dir)!r} cannot be a folder of dumps: {reason}"
        ) from None


def string_list(module: ir.Module, attr: str) -> list[str]:
    """The module's array-of-strings attribute ``attr`` ([] when absent)."""
    from kiln.ir import ir

    attrs = module.operation.attributes
    return [ir.StringAttr(a).value for a in ir.ArrayAttr(attrs[attr])] if attr in attrs else []


def torch_signature(module: ir.Module, signature):
    """Restores torch dtypes the IR cannot tell apart (uint8 is i8 in linalg)."""
    from kiln.frontend.torch_import import TORCH_DTYPES_ATTR
    from kiln.ir import ir
    from kiln.runtime.signature import with_torch_dtypes

    attrs = module.operation.attributes
    if TORCH_DTYPES_ATTR not in attrs:
        return signature
    dtypes = ir.DictAttr(attrs[TORCH_DTYPES_ATTR])
    inputs = [ir.StringAttr(a).value for a in ir.ArrayAttr(dtypes["inputs"])]
    outputs = [ir.StringAttr(a).value for a in ir.ArrayAttr(dtypes["outputs"])]
    return with_torch_dtypes(signature, inputs, outputs)


def _compile_cuda(module: ir.Module, name: str, dump_dir, options, chip_given: bool, log=None):
    """Compiles for an NVIDIA GPU and loads the result (raises KilnError without a driver).

    Without a ``chip`` option the code is built for the GPU it will run on.
    """
    import dataclasses

    from kiln.lowering.cuda.pipeline import compile_cuda
    from kiln.runtime import cuda_driver

    if not chip_given and cuda_driver.available():
        options = dataclasses.replace(options, chip=cuda_driver.device_chip(0))
    compilation = compile_cuda(
        module,
        options,
        dump_dir=str(dump_dir) if dump_dir else None,
        name=name,
        on_stage=log.on_stage if log is not None else None,
    )
    if log is not None:
        log.done()
    return compilation.load()


def is_onnx_path(model) -> bool:
    """True for a path to an ``.onnx`` model."""
    return isinstance(model, str | os.PathLike) and os.fspath(model).endswith(".onnx")


def is_mlir_path(model) -> bool:
    """True for a path to an ``.mlir`` file (any PathLike, or a one-line str ending in .mlir)."""
    if is_onnx_path(model):
        return False
    return isinstance(model, os.PathLike) or (
        isinstance(model, str) and model.endswith(".mlir") and "\n" not in model
    )


def model_name(model) -> str:
    """A short name for the model's files and C symbols: its file's stem, ``module`` for
    MLIR text, the lowercased class name of a PyTorch model (a function's name)."""
    if is_onnx_path(model) or is_mlir_path(model):
        return Path(model).stem
    if isinstance(model, str):
        return "module"
    wrapped = getattr(model, "kiln_wrapped_model", None)  # kiln's own wrappers
    if wrapped is not None:
        return model_name(wrapped)
    if isinstance(model, types.FunctionType) and model.__name__.isidentifier():
        return model.__name__.lower()  # a plain function of tensors
    return type(model).__name__.lower()


def load_model(
    model, example_inputs: tuple, func_name: str | None, dynamic_shapes=None
) -> tuple[ir.Module, str, str | None]:
    """The model as a linalg-on-tensors module, a short name for files, and its source file."""
    return import_model(model, example_inputs, func_name, dynamic_shapes)[:3]


def import_model(
    model,
    example_inputs: tuple,
    func_name: str | None,
    dynamic_shapes=None,
    dump_dir=None,
    host_loops: bool = True,
):
    """``load_model``'s results, and the ``TorchBoundary`` of a PyTorch model (else None).

    ``dump_dir`` receives the frontend's stages (``<name>-<hash>.frontend.NN-<stage>.mlir``).
    ``host_loops``: the target runs loops around its kernels (``TargetEntry.host_loops``).
    """
    name = model_name(model)
    if is_onnx_path(model):
        from kiln.frontend.onnx_import import import_onnx_model

        shapes = [tuple(x.shape) for x in example_inputs] or None  # fix symbolic input dims
        module = import_onnx_model(
            model, func_name, input_shapes=shapes, dump_dir=dump_dir, name=name
        )
        return module, name, os.fspath(model), None
    if is_mlir_path(model):
        path = Path(model)
        if not path.exists():
            raise FileNotFoundError(f"kiln.compile: no such .mlir file: {path}")
        return parse_mlir(path.read_text(), str(path)), name, str(path), None
    if isinstance(model, str):
        return parse_mlir(model, "<string>"), name, "<string>", None
    try:
        import torch
    except ImportError as err:  # pragma: no cover - torch is a dependency
        raise KilnError("kiln: compiling a PyTorch model needs torch") from err
    if not isinstance(model, torch.nn.Module) and not callable(model):
        raise TypeError(
            f"kiln.compile expects an nn.Module, an .mlir path or MLIR text, got {type(model).__name__}"
        )
    from kiln.frontend.torch_import import import_torch_program

    module, boundary = import_torch_program(
        model,
        example_inputs,
        func_name or "forward",
        dynamic_shapes,
        dump_dir=dump_dir,
        name=name,
        recurrent_loops=host_loops,
    )
    return module, name, None, boundary


def parse_mlir(text: str, source_name: str) -> ir.Module:
    """Parses linalg-level MLIR text; syntax errors carry ``source_name:line:col``."""
    from kiln.ir import MLIRError, new_context, parse_module

    ctx = new_context()
    try:
        return parse_module(text, ctx)
    except MLIRError as err:
        raise MLIRSyntaxError(format_mlir_error(err, source_name)) from None


def mark_entry_points(module: ir.Module) -> None:
    """Public functions are entry points: buffer-results-to-out-params rewrites them."""
    from kiln.ir import ir

    for op in module.body.operations:
        if op.operation.name == "func.func" and "sym_visibility" not in op.attributes:
            op.attributes["llvm.emit_c_interface"] = ir.UnitAttr.get(module.context)
