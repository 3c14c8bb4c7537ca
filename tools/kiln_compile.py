"""kiln-compile: compile a model for a target: a CPU shared library, or one stage's output.

    kiln-compile model.mlir --target=cpu -o model.so            # + model.h (docs/deploy.md)
    kiln-compile model.onnx --target=cpu -o model.so --input-shape=1x3x224x224
    kiln-compile model.mlir --target=cpu -o model.so --triple=aarch64-linux-gnu
    kiln-compile model.mlir --target=cuda --emit=ptx -o model.ptx
    kiln-compile model.mlir --target=cuda --emit=cubin --chip=sm_80 -o model.cubin
    kiln-compile model.mlir --target=cuda --emit=gpu            # MLIR after a stage
    kiln-compile model.mlir --target=cpu --emit=tiled --threads=2
    kiln-compile model.mlir --target=cuda --emit=ptx --dump-dir=dumps/

With ``--target=cpu`` and an ``-o`` ending in ``.so`` (or ``--emit=library``),
the output is a shared library with its C header beside it (``model.h``):
the model's code, its weights and a C entry point (``kiln.aot``). Otherwise
``--emit`` names a stage of the target's pipeline (``kiln-opt --kiln-pipeline=T
--list-stages``): MLIR stages write MLIR text, the cuda tool stages write
LLVM IR, PTX (text) or a cubin (binary). The default is the target's last
stage that writes text (cuda: ptx, cpu: llvm). ``--dump-dir`` also writes
every stage on the way. Errors print a diagnostic and exit with status 1. It
does not import torch.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import traceback
from pathlib import Path

from kiln.errors import INTERNAL_ERROR, REPORT_REQUEST, KilnError, format_mlir_error
from kiln.ir import MLIRError, new_context
from kiln.parse_probe import ParserCrash, parse_untrusted
from kiln.reproducer import write_reproducer
from kiln.targets import TARGETS, target_entry

DEFAULT_EMIT = {"cpu": "llvm", "cuda": "ptx"}
LIBRARY = "library"  # --emit value: a shared library and its header (cpu)


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    p = argparse.ArgumentParser(
        prog="kiln-compile", description="Compile MLIR (linalg on tensors) with kiln."
    )
    p.add_argument(
        "input",
        nargs="?",
        default="-",
        help="input .mlir (or, for libraries, .onnx) file; '-': stdin",
    )
    p.add_argument("-o", dest="output", default="-", help="output file ('-' for stdout)")
    p.add_argument(
        "--target", default="cuda", choices=tuple(TARGETS), help="code generation target"
    )
    p.add_argument(
        "--emit",
        help="the stage to write, or 'library' (cpu; the default for -o *.so); "
        "default: cuda ptx, cpu llvm",
    )
    p.add_argument("--chip", help="cuda: GPU architecture, e.g. sm_80, sm_90a (default sm_90)")
    p.add_argument("--tf32", action="store_true", default=None, help="cuda: f32 matmuls as TF32")
    p.add_argument(
        "--no-tensor-cores",
        dest="tensor_cores",
        action="store_false",
        default=None,
        help="cuda: SIMT matmuls only",
    )
    p.add_argument("--threads", dest="kiln_threads", type=int, help="cpu: threads (default 1)")
    p.add_argument("--vector-width", dest="kiln_vector_width", type=int, help="cpu: f32 lanes")
    p.add_argument(
        "--precision",
        dest="kiln_precision",
        help="cpu: contractions in f32 (default) or bf16 (AVX512-BF16 dot products)",
    )
    p.add_argument("--dump-dir", help="also write every stage on the way here")
    p.add_argument(
        "--triple", help="cpu library: build for another machine, e.g. aarch64-linux-gnu"
    )
    p.add_argument("--name", help="cpu library: the C symbols' prefix (default: -o's stem)")
    p.add_argument("--func-name", help="the entry function (default: the only public one)")
    p.add_argument(
        "--input-shape",
        action="append",
        type=_shape,
        help="cpu library from ONNX: one input's static shape, e.g. 1x3x224x224 (repeat per input)",
    )
    p.add_argument(
        "-O", dest="opt_level", type=int, default=None, choices=(0, 1, 2, 3), help="LLVM -O level"
    )
    return p


def _shape(text: str) -> tuple[int, ...]:
    try:
        return tuple(int(d) for d in text.lower().split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(f"a shape is like 1x3x224x224, got '{text}'") from None


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``kiln-compile`` console script."""
    args = build_parser().parse_args(argv)
    try:
        if _emits_library(args):
            return _write_library(args)
        if args.triple or args.input_shape or args.name:
            raise ValueError("--triple, --name and --input-shape apply to cpu libraries (-o *.so)")
    except (KilnError, ValueError, OSError) as err:
        print(f"kiln-compile: error: {err}", file=sys.stderr)
        return 1
    except Exception as err:  # a bug in kiln: say so (the pipeline's own failures are KilnErrors)
        traceback.print_exc()
        print(
            f"kiln-compile: {INTERNAL_ERROR}: {type(err).__name__}: {err} ({REPORT_REQUEST})",
            file=sys.stderr,
        )
        return 1
    source = "<stdin>" if args.input == "-" else args.input
    try:
        text = sys.stdin.read() if args.input == "-" else Path(args.input).read_text()
    except OSError as err:
        print(f"kiln-compile: error: cannot read {source}: {err.strerror or err}", file=sys.stderr)
        return 1
    try:
        output = compile_file(args, text)
    except (KilnError, ValueError, OSError) as err:
        print(f"kiln-compile: error: {err}", file=sys.stderr)
        return 1
    except Exception as err:  # a bug in kiln outside the pipeline's passes: say so
        traceback.print_exc()
        print(_internal_report(err, text, argv), file=sys.stderr)
        return 1
    try:
        _write(args.output, output)
    except OSError as err:
        print(
            f"kiln-compile: error: cannot write {args.output}: {err.strerror or err}",
            file=sys.stderr,
        )
        return 1
    return 0


def _emits_library(args: argparse.Namespace) -> bool:
    if args.emit == LIBRARY:
        if args.target != "cpu":
            raise ValueError("--emit=library is for --target=cpu")
        return True
    return args.target == "cpu" and args.emit is None and args.output.endswith(".so")


def _write_library(args: argparse.Namespace) -> int:
    """Builds the library ``-o`` names and its header; prints where they are."""
    from kiln.aot.compile_file import compile_file as compile_library
    from kiln.targets import DEFAULT_OPT_LEVEL

    if args.input == "-" or args.output == "-":
        raise ValueError("a library is built from a file (not stdin) into a file (-o model.so)")
    info = compile_library(
        args.input,
        args.output,
        name=args.name,
        threads=args.kiln_threads or 1,
        vector_width=args.kiln_vector_width,
        precision=args.kiln_precision or "f32",
        triple=args.triple,
        opt_level=DEFAULT_OPT_LEVEL if args.opt_level is None else args.opt_level,
        func_name=args.func_name,
        input_shapes=args.input_shape,
        dump_dir=args.dump_dir,
    )
    header = Path(args.output).with_suffix(".h")
    print(f"kiln-compile: wrote {args.output} and {header} ({info.prefix}_run, {info.triple})")
    return 0


def _write(output: str, content: str | bytes) -> None:
    if output != "-":
        path = Path(output)
        path.write_bytes(content) if isinstance(content, bytes) else path.write_text(content)
    elif isinstance(content, bytes):
        sys.stdout.buffer.write(content)
    else:
        sys.stdout.write(content)


def _internal_report(err: Exception, text: str, argv: list[str] | None) -> str:
    """Writes the input as a reproducer; the message telling the user about the bug."""
    lines = [f"kiln-compile: {INTERNAL_ERROR}: {type(err).__name__}: {err} ({REPORT_REQUEST})"]
    try:
        path = write_reproducer("kiln-compile", text, traceback.format_exc())
    except OSError as write_error:
        return "\n".join([*lines, f"(no reproducer written: {write_error})"])
    args = list(sys.argv[1:] if argv is None else argv)
    rest = [a for a in args if a != _input_argument(args)]
    command = " ".join(shlex.quote(a) for a in ["kiln-compile", path, *rest])
    return "\n".join([*lines, f"reproducer: {path}", f"replay with:\n  {command}"])


def _input_argument(args: list[str]) -> str | None:
    """The positional input argument of a kiln-compile command line (None for stdin)."""
    parsed = build_parser().parse_args(args)
    return None if parsed.input == "-" else parsed.input


def compile_file(args: argparse.Namespace, text: str) -> str | bytes:
    """Compiles ``text`` (from ``args.input``) through ``args.emit``; returns that stage's output."""
    from kiln.tools.kiln_opt import target_options

    from kiln.driver import run_pipeline

    entry = target_entry(args.target)
    pipeline = entry.pipeline(target_options(args, entry))
    emit = args.emit or DEFAULT_EMIT[entry.name]
    stage = pipeline.stage(emit)
    source = "<stdin>" if args.input == "-" else args.input
    ctx = new_context()
    try:
        module = parse_untrusted(text, ctx)
    except MLIRError as err:
        raise KilnError(format_mlir_error(err, source)) from None
    except ParserCrash as err:
        raise KilnError(f"{source}: error: {err}") from None
    name = Path(source).stem if args.input != "-" else "stdin"
    outputs: dict = {}
    run_pipeline(
        module,
        pipeline,
        stop_after=emit,
        dump_dir=args.dump_dir,
        name=name,
        source_name=source,
        outputs=outputs,
    )
    if stage.is_mlir:
        return module.operation.get_asm(large_elements_limit=None) + "\n"
    if outputs[emit] is None:
        raise KilnError(
            f"--emit={emit}: the tool for stage '{emit}' is not installed (ptxas: CUDA toolkit)"
        )
    return outputs[emit]


if __name__ == "__main__":
    sys.exit(main())
