"""kiln-compile: compile an .mlir file (linalg on tensors) to native code, one stage's output.

    kiln-compile model.mlir --target=cuda --emit=ptx -o model.ptx
    kiln-compile model.mlir --target=cuda --emit=cubin --chip=sm_80 -o model.cubin
    kiln-compile model.mlir --target=cuda --emit=gpu            # MLIR after a stage
    kiln-compile model.mlir --target=cuda --emit=ptx --dump-dir=dumps/

``--emit`` names a stage of the cuda pipeline (graph, tiled, bufferized,
gpu, nvvm: MLIR text) or a step after it (llvm-ir, ptx: text; cubin:
binary). ``--dump-dir`` also writes every stage and step on the way. Errors
print a diagnostic and exit with status 1. It does not import torch.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kiln.errors import KilnError, format_mlir_error
from kiln.ir import MLIRError, new_context, parse_module

TARGETS = ("cuda",)


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    from kiln.pipelines_cuda import POST_MLIR_STEPS, cuda_pipeline

    emits = (*cuda_pipeline().stage_names(), *POST_MLIR_STEPS)
    p = argparse.ArgumentParser(
        prog="kiln-compile", description="Compile MLIR (linalg on tensors) with kiln."
    )
    p.add_argument("input", nargs="?", default="-", help="input .mlir file, '-' for stdin")
    p.add_argument("-o", dest="output", default="-", help="output file ('-' for stdout)")
    p.add_argument("--target", default="cuda", choices=TARGETS, help="code generation target")
    p.add_argument("--emit", default="ptx", choices=emits, help="the stage or step to write")
    p.add_argument("--chip", default="sm_90", help="GPU architecture, e.g. sm_80, sm_90")
    p.add_argument(
        "--tf32", action="store_true", help="f32 matmuls on tensor cores (TF32 precision)"
    )
    p.add_argument("--no-tensor-cores", action="store_true", help="SIMT matmuls only")
    p.add_argument("--dump-dir", help="also write every stage and step here")
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``kiln-compile`` console script."""
    args = build_parser().parse_args(argv)
    try:
        output = compile_file(args)
    except (KilnError, ValueError) as err:
        print(f"kiln-compile: error: {err}", file=sys.stderr)
        return 1
    except OSError as err:
        print(f"kiln-compile: error: {err}", file=sys.stderr)
        return 1
    except Exception as err:  # a bug in kiln: say so, with the traceback
        import traceback

        print(f"kiln-compile: internal error: {type(err).__name__}: {err}", file=sys.stderr)
        traceback.print_exc()
        return 1
    if args.output == "-":
        if isinstance(output, bytes):
            sys.stdout.buffer.write(output)
        else:
            sys.stdout.write(output)
    else:
        path = Path(args.output)
        path.write_bytes(output) if isinstance(output, bytes) else path.write_text(output)
    return 0


def compile_file(args: argparse.Namespace) -> str | bytes:
    """Compiles ``args.input`` through ``args.emit``; returns that stage's text (or the cubin)."""
    from kiln.driver import run_pipeline
    from kiln.pipelines_cuda import (
        POST_MLIR_STEPS,
        CudaTarget,
        compile_to_cuda_binary,
        cuda_pipeline,
    )

    source = "<stdin>" if args.input == "-" else args.input
    text = sys.stdin.read() if args.input == "-" else Path(args.input).read_text()
    target = CudaTarget(chip=args.chip, tf32=args.tf32, tensor_cores=not args.no_tensor_cores)
    ctx = new_context()
    try:
        module = parse_module(text, ctx)
    except MLIRError as err:
        raise KilnError(format_mlir_error(err, source)) from None
    name = Path(source).stem if args.input != "-" else "stdin"
    pipeline = cuda_pipeline(target)
    stop = args.emit if args.emit not in POST_MLIR_STEPS else None
    run_pipeline(
        module, pipeline, stop_after=stop, dump_dir=args.dump_dir, name=name, source_name=source
    )
    if stop is not None:
        return module.operation.get_asm(large_elements_limit=None) + "\n"
    binary = compile_to_cuda_binary(
        module,
        target,
        stop_after=args.emit,
        require_cubin=args.emit == "cubin",
        dump_dir=args.dump_dir,
        name=name,
    )
    return {"llvm-ir": binary.llvm_ir, "ptx": binary.ptx, "cubin": binary.cubin}[args.emit]


if __name__ == "__main__":
    sys.exit(main())
