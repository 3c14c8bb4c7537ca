"""kiln-opt: an mlir-opt-style driver for kiln's passes, stages and every upstream MLIR pass.

    kiln-opt in.mlir --pass-pipeline='builtin.module(canonicalize, kiln-fuse-elementwise)'
    kiln-opt in.mlir --kiln-pipeline=cpu --stop-after=tiled -o tiled.mlir
    kiln-opt repro.mlir --kiln-pipeline=cpu --start-at=vectorized --stop-after=vectorized
    kiln-opt --list-passes

Reads a file (or stdin with ``-``), writes IR to stdout or ``-o``. Errors
are MLIR diagnostics with file:line:col; the exit status is 1 on any error.
It does not import torch.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from kiln.errors import KilnError, format_mlir_error
from kiln.ir import MLIRError, new_context, parse_module
from kiln.pipeline import build_pass_manager, split_pipeline

SPLIT_MARKER = "// -----"


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    p = argparse.ArgumentParser(
        prog="kiln-opt", description="Run MLIR and kiln passes or kiln pipelines on MLIR files."
    )
    p.add_argument("input", nargs="?", default="-", help="input .mlir file, '-' for stdin")
    p.add_argument("-o", dest="output", default="-", help="output file ('-' for stdout)")
    p.add_argument("--pass-pipeline", help="textual pass pipeline, upstream and kiln passes mixed")
    p.add_argument("--kiln-pipeline", help="a named kiln pipeline (cpu)")
    p.add_argument("--start-at", help="first stage of --kiln-pipeline to run")
    p.add_argument("--stop-after", help="last stage of --kiln-pipeline to run")
    p.add_argument("--kiln-threads", type=int, default=1, help="threads for --kiln-pipeline")
    p.add_argument("--kiln-vector-width", type=int, default=None, help="f32 lanes (default: host)")
    p.add_argument(
        "--split-input-file", action="store_true", help="process chunks split by '// -----'"
    )
    p.add_argument("--mlir-print-ir-after-all", action="store_true")
    p.add_argument("--mlir-print-ir-before-all", action="store_true")
    p.add_argument("--mlir-print-debuginfo", action="store_true", help="print locations")
    p.add_argument("--list-passes", action="store_true", help="list kiln passes and pipelines")
    p.add_argument("--list-stages", action="store_true", help="list the stages of --kiln-pipeline")
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``kiln-opt`` console script."""
    args = build_parser().parse_args(argv)
    if args.list_passes:
        print(list_passes_text())
        return 0
    if args.pass_pipeline and args.kiln_pipeline:
        print("kiln-opt: give --pass-pipeline or --kiln-pipeline, not both", file=sys.stderr)
        return 1
    try:
        stages = _named_stages(args) if (args.kiln_pipeline or args.list_stages) else None
    except (KilnError, ValueError) as err:
        print(f"kiln-opt: {err}", file=sys.stderr)
        return 1
    if args.list_stages:
        for stage in stages:
            print(f"{stage.name}: {stage.summary}\n  " + ",\n  ".join(stage.passes))
        return 0
    source = "<stdin>" if args.input == "-" else args.input
    try:
        text = sys.stdin.read() if args.input == "-" else Path(args.input).read_text()
    except OSError as err:
        print(f"kiln-opt: cannot read {source}: {err.strerror}", file=sys.stderr)
        return 1
    chunks = _split(text) if args.split_input_file else [(1, text)]
    outputs, failed = [], False
    for first_line, chunk in chunks:
        result = _process(chunk, first_line, source, args, stages)
        if result is None:
            failed = True
        else:
            outputs.append(result)
    rendered = ("\n" + SPLIT_MARKER + "\n").join(outputs)
    if args.output == "-":
        sys.stdout.write(rendered)
    else:
        Path(args.output).write_text(rendered)
    return 1 if failed else 0


def list_passes_text() -> str:
    """kiln's passes with their summaries and options, and its pipelines."""
    from kiln.passes import registry

    from kiln.pipelines import PIPELINES

    lines = ["kiln passes:"]
    for name, cls in registry.all_passes().items():
        lines.append(f"  {name}: {registry.summary(cls)}")
        for field in cls.__dataclass_fields__.values():
            lines.append(f"      {field.name.replace('_', '-')}={field.default!r} ({field.type})")
    lines.append("kiln pipelines: " + ", ".join(PIPELINES))
    lines.append("Every upstream MLIR pass is available in --pass-pipeline as well.")
    return "\n".join(lines)


def _named_stages(args):
    from kiln.pipelines import PIPELINES
    from kiln.targets import CpuTarget, host_target

    name = args.kiln_pipeline or "cpu"
    if name not in PIPELINES:
        raise KilnError(f"unknown pipeline '{name}' (kiln pipelines: {', '.join(PIPELINES)})")
    host = host_target(args.kiln_threads)
    target = CpuTarget("host", args.kiln_vector_width or host.vector_width, args.kiln_threads)
    pipeline = PIPELINES[name](target)
    return pipeline.select(args.start_at, args.stop_after)


def _split(text: str) -> list[tuple[int, str]]:
    chunks, line = [], 1
    for chunk in text.split(SPLIT_MARKER):
        chunks.append((line, chunk))
        line += chunk.count("\n")
    return chunks


def _process(chunk: str, first_line: int, source: str, args, stages) -> str | None:
    ctx = new_context()
    errors: list[str] = []
    try:
        module = parse_module(chunk, ctx, first_line)
    except MLIRError as err:
        print(format_mlir_error(err, source), file=sys.stderr)
        return None
    try:
        specs = split_pipeline(args.pass_pipeline) if args.pass_pipeline else []
        if stages is not None:
            specs = [spec for stage in stages for spec in stage.passes]
        if specs:
            pm = build_pass_manager(specs, ctx)
            if args.mlir_print_ir_after_all or args.mlir_print_ir_before_all:
                pm.enable_ir_printing(
                    print_before_all=args.mlir_print_ir_before_all,
                    print_after_all=args.mlir_print_ir_after_all,
                    print_module_scope=True,
                )
            pm.run(module.operation)
    except MLIRError as err:
        errors.append(format_mlir_error(err, source))
    except (ValueError, KilnError) as err:
        errors.append(f"{source}: error: {err}")
    except Exception as err:  # a bug in a pass: say so, with the traceback
        import traceback

        errors.append(
            f"{source}: internal error: {type(err).__name__}: {err}\n{traceback.format_exc()}"
        )
    if errors:
        print("\n".join(errors), file=sys.stderr)
        return None
    return module.operation.get_asm(enable_debug_info=args.mlir_print_debuginfo) + "\n"


if __name__ == "__main__":
    sys.exit(main())
