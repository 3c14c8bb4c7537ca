"""kiln-opt: an mlir-opt-style driver for kiln's passes, stages and every upstream MLIR pass.

    kiln-opt in.mlir --pass-pipeline='builtin.module(canonicalize, kiln-fuse-elementwise)'
    kiln-opt in.mlir --kiln-pipeline=cpu --stop-after=tiled -o tiled.mlir
    kiln-opt repro.mlir --kiln-pipeline=cpu --start-at=vectorized --stop-after=vectorized
    kiln-opt in.mlir --kiln-pipeline=cuda --chip=sm_80 --stop-after=gpu
    kiln-opt --list-passes

Reads a file (or stdin with ``-``), writes IR to stdout or ``-o``. Errors
are MLIR diagnostics with file:line:col; the exit status is 1 on any error.
It does not import torch.
"""

from __future__ import annotations

import argparse
import shlex
import sys
import traceback
from pathlib import Path

from kiln.passes.registry import INTERNAL_TRACEBACKS

from kiln.errors import INTERNAL_ERROR, REPORT_REQUEST, KilnError, format_mlir_error, is_internal
from kiln.ir import MLIRError, new_context, parse_module
from kiln.parse_probe import ParserCrash, parse_untrusted
from kiln.pipeline import (
    KILN_PASS_RE,
    build_pass_manager,
    failing_pass,
    pipeline_text,
    split_pipeline,
)
from kiln.reproducer import reproducer_text, write_reproducer

SPLIT_MARKER = "// -----"


def build_parser() -> argparse.ArgumentParser:
    """The command-line interface."""
    p = argparse.ArgumentParser(
        prog="kiln-opt", description="Run MLIR and kiln passes or kiln pipelines on MLIR files."
    )
    p.add_argument("input", nargs="?", default="-", help="input .mlir file, '-' for stdin")
    p.add_argument("-o", dest="output", default="-", help="output file ('-' for stdout)")
    p.add_argument("--pass-pipeline", help="textual pass pipeline, upstream and kiln passes mixed")
    p.add_argument("--kiln-pipeline", help="a kiln target's pipeline (cpu, cuda)")
    p.add_argument("--start-at", help="first stage of --kiln-pipeline to run")
    p.add_argument("--stop-after", help="last stage of --kiln-pipeline to run")
    # Target options: each belongs to one target (kiln.targets); giving one to another
    # target is an error naming that target's options.
    p.add_argument("--kiln-threads", type=int, help="cpu: threads (default 1)")
    p.add_argument("--kiln-vector-width", type=int, help="cpu: f32 lanes (default: the host's)")
    p.add_argument(
        "--kiln-precision", help="cpu: contractions' precision, f32 (default) or bf16 (AVX512-BF16)"
    )
    # Target features default to the host's; each can be forced either way (lit tests of
    # AVX-512 code paths name them, so they check the same IR on every host).
    for feature, without in (
        ("avx512-bf16", "bf16 contractions cannot be compiled"),
        ("avx512-vnni", "quantized contractions stay f32"),
    ):
        dest = "kiln_" + feature.replace("-", "_")
        p.add_argument(
            f"--kiln-{feature}",
            dest=dest,
            action="store_true",
            default=None,
            help=f"cpu: a target with {feature.upper()} (default: the host's flag)",
        )
        p.add_argument(
            f"--kiln-no-{feature}",
            dest=dest,
            action="store_false",
            default=None,
            help=f"cpu: a target without {feature.upper()}: {without}",
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
    p.add_argument(
        "--split-input-file", action="store_true", help="process chunks split by '// -----'"
    )
    p.add_argument("--mlir-print-ir-after-all", action="store_true")
    p.add_argument("--mlir-print-ir-before-all", action="store_true")
    p.add_argument("--mlir-print-debuginfo", action="store_true", help="print locations")
    p.add_argument(
        "--report", help="write an HTML report (time and ops after each stage, fusion groups)"
    )
    p.add_argument("--list-passes", action="store_true", help="list kiln passes and pipelines")
    p.add_argument("--list-stages", action="store_true", help="list the stages of --kiln-pipeline")
    return p


def main(argv: list[str] | None = None) -> int:
    """Entry point of the ``kiln-opt`` console script.

    Every error is a diagnostic and exit status 1; a bug in kiln says so
    ("internal error") and, from a pass, writes a reproducer.
    """
    args = build_parser().parse_args(argv)
    try:
        return _main(args)
    except Exception as err:  # a bug in kiln outside any pass
        traceback.print_exc()
        print(
            f"kiln-opt: {INTERNAL_ERROR}: {type(err).__name__}: {err} ({REPORT_REQUEST})",
            file=sys.stderr,
        )
        return 1


def _main(args) -> int:
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
            body = (
                ",\n  ".join(stage.passes) if stage.is_mlir else f"(tool, writes .{stage.suffix})"
            )
            print(f"{stage.name}: {stage.summary}\n  {body}")
        return 0
    source = "<stdin>" if args.input == "-" else args.input
    try:
        text = sys.stdin.read() if args.input == "-" else Path(args.input).read_text()
    except OSError as err:
        print(f"kiln-opt: cannot read {source}: {err.strerror}", file=sys.stderr)
        return 1
    if args.report and (args.split_input_file or args.mlir_print_ir_after_all):
        print(
            "kiln-opt: --report takes one input, without --split-input-file or IR printing",
            file=sys.stderr,
        )
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
        return 1 if failed else 0
    try:
        Path(args.output).write_text(rendered)
    except OSError as err:
        print(f"kiln-opt: cannot write {args.output}: {err.strerror or err}", file=sys.stderr)
        return 1
    return 1 if failed else 0


def list_passes_text() -> str:
    """kiln's passes with their summaries and options, and its pipelines."""
    from kiln.passes import registry

    from kiln.targets import TARGETS

    lines = ["kiln passes:"]
    for name, cls in registry.all_passes().items():
        lines.append(f"  {name}: {registry.summary(cls)}")
        for field in cls.__dataclass_fields__.values():
            lines.append(f"      {field.name.replace('_', '-')}={field.default!r} ({field.type})")
    lines.append("kiln pipelines: " + ", ".join(TARGETS))
    lines.append("Every upstream MLIR pass is available in --pass-pipeline as well.")
    return "\n".join(lines)


# Command-line flag -> (target, option field).
TARGET_FLAGS = {
    "kiln_threads": ("--kiln-threads", "threads"),
    "kiln_vector_width": ("--kiln-vector-width", "vector_width"),
    "kiln_precision": ("--kiln-precision", "precision"),
    "kiln_avx512_bf16": ("--kiln-[no-]avx512-bf16", "avx512_bf16"),
    "kiln_avx512_vnni": ("--kiln-[no-]avx512-vnni", "avx512_vnni"),
    "chip": ("--chip", "chip"),
    "tf32": ("--tf32", "tf32"),
    "tensor_cores": ("--no-tensor-cores", "tensor_cores"),
}


def target_options(args, entry):
    """The options of ``entry``'s target from the command line (cpu defaults: the host, 1 thread)."""
    from kiln.targets import host_target

    given = {}
    for dest, (flag, field) in TARGET_FLAGS.items():
        value = getattr(args, dest, None)
        if value is None:
            continue
        if field not in [name.replace("-", "_") for name in entry.option_names()]:
            flags = [
                f
                for f, fld in TARGET_FLAGS.values()
                if fld.replace("_", "-") in entry.option_names()
            ]
            raise KilnError(
                f"{flag} is not an option of target '{entry.name}' (its options: {', '.join(flags)})"
            )
        given[field] = value
    base = host_target(1) if entry.name == "cpu" else None
    return entry.make_options(base, **given)


def _named_stages(args):
    """The selected MLIR stages of ``--kiln-pipeline`` (kiln-opt writes MLIR only;
    ``--list-stages`` lists the tool stages after them too)."""
    from kiln.targets import TARGETS

    name = args.kiln_pipeline or "cpu"
    if name not in TARGETS:
        raise KilnError(f"unknown pipeline '{name}' (kiln pipelines: {', '.join(TARGETS)})")
    entry = TARGETS[name]
    pipeline = entry.pipeline(target_options(args, entry))
    mlir = pipeline.mlir_stage_names()
    for flag, stage in (("--start-at", args.start_at), ("--stop-after", args.stop_after)):
        if stage is not None and stage in pipeline.stage_names() and stage not in mlir:
            raise KilnError(
                f"{flag}={stage}: stage '{stage}' of pipeline '{pipeline.name}' runs a tool after "
                f"MLIR; kiln-opt writes MLIR (stages {', '.join(mlir)}): use kiln-compile --emit={stage}"
            )
    last = args.stop_after or (None if args.list_stages else mlir[-1])
    return pipeline.select(args.start_at, last)


def _run_with_report(module, specs, stages, source: str, args) -> None:
    """Runs stage by stage (a textual pipeline: pass by pass), then writes ``--report``."""
    from kiln.debug.progress import CompileLog
    from kiln.debug.report import write_report
    from kiln.driver import run_pipeline
    from kiln.pipeline import Pipeline, one_stage_per_pass

    name = Path(source).stem if source != "<stdin>" else "stdin"
    if stages is not None:
        pipeline = Pipeline(args.kiln_pipeline, tuple(stages))
    else:
        pipeline = one_stage_per_pass("pass-pipeline", specs)
    log = CompileLog(quiet=True, detail=True, name=name)
    run_pipeline(
        module, pipeline, name=name, on_stage=log.on_stage, source_name=source, verify_each=True
    )
    write_report(args.report, log, pipeline_name=pipeline.name, source=source)


def _split(text: str) -> list[tuple[int, str]]:
    chunks, line = [], 1
    for chunk in text.split(SPLIT_MARKER):
        chunks.append((line, chunk))
        line += chunk.count("\n")
    return chunks


def _process(chunk: str, first_line: int, source: str, args, stages) -> str | None:
    """Runs the pipeline on one chunk; its output text, or None after printing its errors."""
    ctx = new_context()
    try:
        module = parse_untrusted(chunk, ctx, first_line)
    except MLIRError as err:
        print(format_mlir_error(err, source), file=sys.stderr)
        return None
    except ParserCrash as err:
        print(f"{source}: error: {err}", file=sys.stderr)
        return None
    try:
        specs = _specs(args, stages)
        if args.report:  # stage by stage through the driver: its PipelineError is a KilnError
            _run_with_report(module, specs, stages, source, args)
            return module.operation.get_asm(enable_debug_info=args.mlir_print_debuginfo) + "\n"
        pm = _pass_manager(specs, ctx, args) if specs else None
    except (ValueError, KilnError) as err:
        print(f"{source}: error: {err}", file=sys.stderr)
        return None
    failure = _run(pm, module.operation, source) if pm is not None else None
    if failure is None:
        return module.operation.get_asm(enable_debug_info=args.mlir_print_debuginfo) + "\n"
    if is_internal(failure):
        failure += "\n" + _internal_report(chunk, first_line, source, specs, failure)
    else:
        failure += _failing_pass_note(chunk, first_line, source, specs)
    print(failure, file=sys.stderr)
    return None


def _failing_pass_note(chunk: str, first_line: int, source: str, specs: list[str]) -> str:
    """A note naming the upstream pass that failed (kiln passes name themselves).

    MLIR's diagnostics do not say which pass emitted them: the pipeline is
    re-run pass by pass on the input to find it.
    """
    if len(specs) < 2:
        return ""
    original = parse_module(chunk, new_context(), first_line).operation
    spec = failing_pass(specs, original)
    if spec is None or KILN_PASS_RE.match(spec):
        return ""
    return f"\n{source}: note: the failing pass is '{spec}'"


def _specs(args, stages) -> list[str]:
    if stages is not None:
        return [spec for stage in stages for spec in stage.passes]
    return split_pipeline(args.pass_pipeline) if args.pass_pipeline else []


def _pass_manager(specs: list[str], ctx, args=None):
    pm = build_pass_manager(specs, ctx)
    if args is not None and (args.mlir_print_ir_after_all or args.mlir_print_ir_before_all):
        pm.enable_ir_printing(
            print_before_all=args.mlir_print_ir_before_all,
            print_after_all=args.mlir_print_ir_after_all,
            print_module_scope=True,
        )
    return pm


def _run(pm, op, source: str) -> str | None:
    """Runs ``pm`` on ``op``: None on success, else the errors as text.

    kiln passes report their own bugs as "internal error" diagnostics; any
    other exception out of the pass manager is a bug in kiln too.
    """
    try:
        pm.run(op)
    except MLIRError as err:
        return format_mlir_error(err, source)
    except Exception as err:  # a bug in kiln: say so; the report has the traceback
        INTERNAL_TRACEBACKS.last = traceback.format_exc()
        return f"{source}: {INTERNAL_ERROR}: {type(err).__name__}: {err}"
    return None


def _internal_report(chunk: str, first_line: int, source: str, specs, failure: str) -> str:
    """Writes a reproducer for an internal error; the lines telling the user about it."""
    header = getattr(INTERNAL_TRACEBACKS, "last", "")
    INTERNAL_TRACEBACKS.last = ""
    pipeline = pipeline_text(specs)

    def fails_alike(candidate) -> bool:
        return _run(_pass_manager(specs, candidate.context), candidate, source) == failure

    try:
        original = parse_module(chunk, new_context(), first_line).operation
        text = reproducer_text(original, fails_alike)
        path = write_reproducer(f"kiln-opt.{Path(source).stem or 'stdin'}", text, header)
    except (OSError, MLIRError) as err:
        return f"kiln-opt: {REPORT_REQUEST} (no reproducer written: {err})"
    command = " ".join(shlex.quote(a) for a in ("kiln-opt", path, f"--pass-pipeline={pipeline}"))
    return f"kiln-opt: {REPORT_REQUEST}\nreproducer: {path}\nreplay with:\n  {command}"


if __name__ == "__main__":
    sys.exit(main())
