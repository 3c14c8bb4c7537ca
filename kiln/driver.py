"""The one driver that runs a pipeline's stages on a module.

It verifies the IR between stages (MLIR's pass manager verifies after every
pass), can start at and stop after any stage, dumps each stage on request,
and turns any failure into a ``PipelineError`` that names the stage, carries
MLIR's diagnostics, writes the stage's input IR as a reproducer and prints the
exact ``kiln-opt`` command that replays the failing stage.
"""

from __future__ import annotations

import shlex
import traceback
from collections.abc import Callable
from pathlib import Path

from kiln.errors import (
    INTERNAL_ERROR,
    DumpDirError,
    PipelineError,
    format_mlir_error,
    is_internal,
)
from kiln.files import atomic_write, module_hash
from kiln.ir import MLIRError, PassManager, ir
from kiln.passes.registry import INTERNAL_TRACEBACKS
from kiln.pipeline import Pipeline, Stage, build_pass_manager, failing_pass, pipeline_text
from kiln.reproducer import module_text, repro_dir, reproducer_text, write_reproducer

StageCallback = Callable[[Stage, ir.Module], None]

__all__ = ["module_text", "replay_command", "repro_dir", "run_pipeline"]


def replay_command(path: str, stage: Stage) -> str:
    """The kiln-opt command that replays ``stage`` on ``path``.

    It spells out the stage's passes, so it is exact for custom pipelines too.
    """
    args = ["kiln-opt", path, f"--pass-pipeline={pipeline_text(stage.passes)}"]
    return " ".join(shlex.quote(a) for a in args)


def run_pipeline(
    module: ir.Module,
    pipeline: Pipeline,
    *,
    start_at: str | None = None,
    stop_after: str | None = None,
    dump_dir: str | None = None,
    name: str = "module",
    on_stage: StageCallback | None = None,
    source_name: str | None = None,
    verify_each: bool = False,
    outputs: dict | None = None,
) -> ir.Module:
    """Runs the selected stages of ``pipeline`` on ``module`` in place and returns it.

    Tool stages (after MLIR) read the module, then each other's output;
    ``outputs`` receives each tool stage's output by stage name.

    ``source_name`` is the file the module was parsed from: diagnostics
    located in it name it instead of MLIR's ``-``.

    Dumps are named ``<name>-<hash>.<NN>-<stage>.<suffix>`` (the hash after the
    first part of a dotted name: ``model-<hash>.frontend.01-torch.mlir``), the hash covering
    the input module and the pipeline: compilations of different modules into
    one ``dump_dir`` (from several processes) never overwrite each other.

    The IR is verified after each stage; ``verify_each`` verifies it after
    every pass as well (MLIR's default, which costs ResNet-18 a second of
    compile time). When a stage's output fails to verify, the stage is re-run
    on its input with every pass verified, so the error names the pass that
    broke the IR, exactly as with ``verify_each``.
    """
    target = pipeline.options.get("target")
    stages = pipeline.select(start_at, stop_after)
    if dump_dir:
        key = module_hash(
            module, pipeline.text(), repr(pipeline.options), *(s.name for s in stages)
        )
        stem, dot, rest = name.partition(".")  # model.frontend -> model-<hash>.frontend
        name = f"{stem}-{key}{dot}{rest}"
    previous: object = module
    for stage in stages:
        index = pipeline.stage_names().index(stage.name)
        if not stage.is_mlir:
            previous = stage.tool(previous, target)
            if outputs is not None:
                outputs[stage.name] = previous
            if dump_dir and previous is not None:
                _dump(dump_dir, f"{name}.{index + 1:02d}-{stage.name}.{stage.suffix}", previous)
            continue
        before = module.operation.clone(ip=False)
        try:
            verify = verify_each or stage.verify_each
            failure = _stage_failure(stage, module.operation, verify, before, source_name)
            if failure is not None:
                detail, cause = failure
                error = _stage_error(stage, before, name, detail, verify, source_name)
                if not isinstance(cause, MLIRError):
                    raise error from cause
                error.mlir_error = cause  # for callers that read the diagnostics' locations
                raise error from None
        finally:
            before.erase()
        if dump_dir:
            _dump(dump_dir, f"{name}.{index + 1:02d}-{stage.name}.mlir", module_text(module))
        if on_stage is not None:
            on_stage(stage, module)
    return module


def _dump(dump_dir: str, file_name: str, content: str | bytes) -> None:
    try:
        atomic_write(Path(dump_dir, file_name), content)
    except OSError as err:
        raise DumpDirError(
            f"kiln: dump_dir={dump_dir!r}: cannot write {file_name}: {err.strerror or err}"
        ) from None


def _stage_failure(
    stage: Stage,
    op: ir.Operation,
    verify_each: bool,
    before: ir.Operation,
    source_name: str | None,
) -> tuple[str, Exception | None] | None:
    """Runs one stage on ``op``; None on success, else the failure as text and
    the exception behind it (the MLIRError for MLIR diagnostics).

    A bad pass spec (an unknown pass, a bad option) is the pipeline's fault and
    reported as its ValueError; a failing pass reports MLIR diagnostics (kiln
    passes turn their own bugs into "internal error" diagnostics). Anything
    else escaping the pass manager is a bug in kiln, reported as internal.
    """
    try:
        pm = build_pass_manager(stage.passes, op.context)
    except ValueError as err:
        return "".join(traceback.format_exception_only(type(err), err)).strip(), err
    try:
        _run_stage(pm, stage, op, verify_each, before)
    except MLIRError as err:
        return format_mlir_error(err, source_name), err
    except Exception as err:  # a bug in kiln outside its passes
        INTERNAL_TRACEBACKS.last = traceback.format_exc()
        return f"{INTERNAL_ERROR}: {type(err).__name__}: {err}", err
    return None


def _run_stage(
    pm: PassManager, stage: Stage, op: ir.Operation, verify_each: bool, before: ir.Operation
) -> None:
    """Runs one stage on ``op``; raises MLIRError naming the pass whose output is invalid."""
    pm.enable_verifier(verify_each)
    pm.run(op)
    if verify_each:
        return
    try:
        op.verify()
    except MLIRError as err:
        replay = before.clone(ip=False)
        try:
            strict = build_pass_manager(stage.passes, op.context)
            strict.enable_verifier(True)
            strict.run(replay)
        finally:
            replay.erase()
        raise err  # the strict replay verified: report the stage's output itself


def _stage_error(
    stage: Stage,
    before: ir.Operation,
    name: str,
    detail: str,
    verify_each: bool,
    source_name: str | None,
) -> PipelineError:
    """The stage's PipelineError: the pass that fails (the stage re-run pass by pass),
    the stage's input written as a reproducer (large constants elided when the
    stage still fails the same way without them)."""
    internal = is_internal(detail)
    header = getattr(INTERNAL_TRACEBACKS, "last", "") if internal else ""
    INTERNAL_TRACEBACKS.last = ""

    def fails_alike(candidate: ir.Operation) -> bool:
        probe = candidate.clone(ip=False)
        try:
            failure = _stage_failure(stage, candidate, verify_each, probe, source_name)
            return failure is not None and failure[0] == detail
        finally:
            probe.erase()

    culprit = failing_pass(stage.passes, before)
    try:
        text = reproducer_text(before, fails_alike)
        path = write_reproducer(f"{name}.{stage.name}", text, header)
        command = replay_command(path, stage)
    except OSError:
        path, command = None, None
    finally:
        INTERNAL_TRACEBACKS.last = ""
    return PipelineError(stage.name, detail, path, command, internal=internal, pass_spec=culprit)
