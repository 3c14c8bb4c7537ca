"""The one driver that runs a pipeline's stages on a module.

It verifies the IR between stages (MLIR's pass manager verifies after every
pass), can start at and stop after any stage, dumps each stage on request,
and turns any failure into a ``PipelineError`` that names the stage, carries
MLIR's diagnostics, writes the stage's input IR as a reproducer and prints the
exact ``kiln-opt`` command that replays the failing stage.
"""

from __future__ import annotations

import os
import shlex
import tempfile
import traceback
from collections.abc import Callable
from pathlib import Path

from kiln.errors import PipelineError, format_mlir_error
from kiln.ir import MLIRError, ir
from kiln.pipeline import Pipeline, Stage, build_pass_manager, pipeline_text

StageCallback = Callable[[Stage, ir.Module], None]


def repro_dir() -> Path:
    """Where reproducers go: $KILN_REPRO_DIR, else <tmp>/kiln-repro."""
    return Path(os.environ.get("KILN_REPRO_DIR") or Path(tempfile.gettempdir()) / "kiln-repro")


def module_text(module: ir.Module | ir.Operation) -> str:
    """Full, re-parseable text of a module (constants included)."""
    op = module.operation if isinstance(module, ir.Module) else module
    return op.get_asm(large_elements_limit=None, assume_verified=True)


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

    The IR is verified after each stage; ``verify_each`` verifies it after
    every pass as well (MLIR's default, which costs ResNet-18 a second of
    compile time). When a stage's output fails to verify, the stage is re-run
    on its input with every pass verified, so the error names the pass that
    broke the IR, exactly as with ``verify_each``.
    """
    ctx = module.context
    target = pipeline.options.get("target")
    previous: object = module
    for stage in pipeline.select(start_at, stop_after):
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
            _run_stage(stage, module.operation, ctx, verify_each, before)
        except MLIRError as err:
            failure = _stage_error(stage, before, name, format_mlir_error(err, source_name))
            failure.mlir_error = err  # for callers that read the diagnostics' locations
            raise failure from None
        except (ValueError, RuntimeError, TypeError, KeyError, IndexError) as err:
            detail = "".join(traceback.format_exception_only(type(err), err)).strip()
            raise _stage_error(stage, before, name, detail) from err
        before.erase()
        if dump_dir:
            _dump(dump_dir, f"{name}.{index + 1:02d}-{stage.name}.mlir", module_text(module))
        if on_stage is not None:
            on_stage(stage, module)
    return module


def _dump(dump_dir: str, file_name: str, content: str | bytes) -> None:
    path = Path(dump_dir, file_name)
    path.parent.mkdir(parents=True, exist_ok=True)
    if isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)


def _run_stage(
    stage: Stage, op: ir.Operation, ctx: ir.Context, verify_each: bool, before: ir.Operation
) -> None:
    """Runs one stage on ``op``; raises MLIRError naming the pass whose output is invalid."""
    pm = build_pass_manager(stage.passes, ctx)
    pm.enable_verifier(verify_each)
    pm.run(op)
    if verify_each:
        return
    try:
        op.verify()
    except MLIRError as err:
        replay = before.clone(ip=False)
        try:
            strict = build_pass_manager(stage.passes, ctx)
            strict.enable_verifier(True)
            strict.run(replay)
        finally:
            replay.erase()
        raise err  # the strict replay verified: report the stage's output itself


def _stage_error(stage: Stage, before: ir.Operation, name: str, detail: str) -> PipelineError:
    directory = repro_dir()
    try:
        directory.mkdir(parents=True, exist_ok=True)
        path = str(directory / f"{name}.{stage.name}.mlir")
        Path(path).write_text(module_text(before))
        command = replay_command(path, stage)
    except OSError:
        path, command = None, None
    finally:
        before.erase()
    return PipelineError(stage.name, detail, path, command)
