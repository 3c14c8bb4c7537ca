"""How failures inside kiln passes reach users: located diagnostics naming the pass and
the op, never a Python traceback; a bug in kiln says so and leaves a reproducer.

Test-only passes raise on purpose (a bug, a KilnError, a failing transform
schedule); they are registered for one test each.
"""

from __future__ import annotations

import dataclasses
import inspect
import re
from pathlib import Path

import pytest
from kiln.passes import registry
from kiln.passes.registry import KilnPass
from kiln.passes.transform_script import Schedule
from kiln.tools import kiln_opt

from kiln.driver import run_pipeline
from kiln.errors import KilnError, PipelineError
from kiln.ir import ir, parse_module
from kiln.pipeline import Pipeline, Stage

ADD = """\
func.func @f(%a: i32) -> i32 {
  %b = arith.addi %a, %a : i32
  return %b : i32
}
"""

MATMUL = """\
func.func @f(%a: tensor<4x6xf32>, %b: tensor<6x5xf32>, %c: tensor<4x5xf32>) -> tensor<4x5xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<4x6xf32>, tensor<6x5xf32>)
                     outs(%c : tensor<4x5xf32>) -> tensor<4x5xf32>
  return %r : tensor<4x5xf32>
}
"""


@dataclasses.dataclass(frozen=True)
class _Buggy(KilnPass):
    """Test-only: indexes past the operands of each arith.addi (a bug in a pass)."""

    name = "kiln-test-buggy"

    def run(self, module):
        for op in _ops(module, "arith.addi"):
            op.operands[5]


@dataclasses.dataclass(frozen=True)
class _Refuses(KilnPass):
    """Test-only: refuses each arith.addi with a KilnError (an input kiln cannot handle)."""

    name = "kiln-test-refuses"

    def run(self, module):
        for op in _ops(module, "arith.addi"):
            raise KilnError(f"cannot handle {op.name}")


@dataclasses.dataclass(frozen=True)
class _BadSchedule(KilnPass):
    """Test-only: tiles each linalg.matmul with one tile size too many (the interpreter fails)."""

    name = "kiln-test-bad-schedule"

    def run(self, module):
        for op in _ops(module, "linalg.matmul"):
            op.attributes["test.tag"] = ir.UnitAttr.get()
        sched = Schedule(module.context)
        sched.tile_for(sched.match(attr="test.tag"), [2, 2, 0, 9])
        sched.apply(module)


def _ops(module, name):
    found = []
    module.walk(
        lambda op: (found.append(op) if op.name == name else None, ir.WalkResult.ADVANCE)[1]
    )
    return found


@pytest.fixture
def test_passes(monkeypatch, tmp_path):
    """Registers the test-only passes; reproducers go to ``tmp_path``."""
    monkeypatch.setenv("KILN_REPRO_DIR", str(tmp_path))
    registry.all_passes()
    for cls in (_Buggy, _Refuses, _BadSchedule):
        monkeypatch.setitem(registry._PASSES, cls.name, cls)


def _kiln_opt(tmp_path, capsys, text: str, pipeline: str) -> tuple[int, str]:
    source = tmp_path / "in.mlir"
    source.write_text(text)
    status = kiln_opt.main([str(source), f"--pass-pipeline=builtin.module({pipeline})"])
    return status, capsys.readouterr().err


def test_bug_in_a_pass_is_an_internal_error_at_the_op_with_a_reproducer(
    test_passes, tmp_path, capsys
):
    status, err = _kiln_opt(tmp_path, capsys, ADD, "kiln-test-buggy")
    assert status == 1
    first = err.splitlines()[0]
    assert first == (
        f"{tmp_path / 'in.mlir'}:2:8: error: kiln-test-buggy: internal error on 'arith.addi': "
        "IndexError: index out of range (a bug in kiln: please report it with the reproducer)"
    )
    assert "Traceback" not in err
    path = Path(re.search(r"reproducer: (\S+)", err).group(1))
    assert path.parent == tmp_path and path.name.startswith("kiln-opt.in.")
    text = path.read_text()
    assert text.startswith("// Traceback (most recent call last):")  # for the bug report
    assert "op.operands[5]" in text and "arith.addi" in text
    assert "kiln-opt " in err and "--pass-pipeline=builtin.module(kiln-test-buggy)" in err


def test_kiln_error_in_a_pass_is_a_located_diagnostic_not_an_internal_error(
    test_passes, tmp_path, capsys
):
    status, err = _kiln_opt(tmp_path, capsys, ADD, "kiln-test-refuses")
    assert status == 1
    assert err.strip() == (
        f"{tmp_path / 'in.mlir'}:2:8: error: kiln-test-refuses: cannot handle arith.addi "
        "on 'arith.addi'"
    )
    assert not list(tmp_path.glob("kiln-opt.*"))  # input problems write no reproducer


def test_failing_schedule_names_the_pass_the_transform_and_the_payload_op(
    test_passes, tmp_path, capsys
):
    status, err = _kiln_opt(tmp_path, capsys, MATMUL, "kiln-test-bad-schedule")
    lines, first = inspect.getsourcelines(_BadSchedule)
    line = first + next(i for i, text in enumerate(lines) if "sched.tile_for(" in text)
    assert status == 1
    assert err.strip() == (
        f"{tmp_path / 'in.mlir'}:2:8: error: kiln-test-bad-schedule: transform "
        f"transform.structured.tile_using_for (test_failure_reports.py:{line}) failed on "
        "'linalg.matmul': too many tiles provided, expected at most 3 found 4"
    )


def test_bug_in_a_pass_is_an_internal_pipeline_error(test_passes, ctx, tmp_path):
    pipeline = Pipeline("bad", (Stage("ok", ("canonicalize",)), Stage("bug", ("kiln-test-buggy",))))
    with pytest.raises(PipelineError) as info:
        run_pipeline(parse_module(ADD, ctx), pipeline, name="m", source_name="m.mlir")
    err = info.value
    assert err.internal and err.stage == "bug"
    assert err.pass_spec == "kiln-test-buggy"
    assert str(err).startswith(
        "kiln: internal error in stage 'bug', pass 'kiln-test-buggy' "
        "(a bug in kiln: please report it with the reproducer)"
    )
    assert "m.mlir:2:8: error: kiln-test-buggy: internal error on 'arith.addi'" in err.diagnostics
    assert Path(err.reproducer).read_text().startswith("// Traceback")


def test_input_problem_is_not_internal(test_passes, ctx, tmp_path):
    pipeline = Pipeline("bad", (Stage("refuse", ("kiln-test-refuses",)),))
    with pytest.raises(PipelineError) as info:
        run_pipeline(parse_module(ADD, ctx), pipeline, name="m")
    assert not info.value.internal
    assert str(info.value).startswith("kiln: stage 'refuse' failed in pass 'kiln-test-refuses':")
    assert "// Traceback" not in Path(info.value.reproducer).read_text()


def test_kiln_compile_bug_outside_the_passes_says_so_and_writes_the_input(
    monkeypatch, tmp_path, capsys
):
    from kiln.tools import kiln_compile

    def broken(args, text):
        raise AttributeError("'NoneType' object has no attribute 'stage'")

    monkeypatch.setenv("KILN_REPRO_DIR", str(tmp_path))
    monkeypatch.setattr(kiln_compile, "compile_file", broken)
    source = tmp_path / "in.mlir"
    source.write_text(ADD)
    assert kiln_compile.main([str(source), "--target=cpu", "--emit=tiled"]) == 1
    err = capsys.readouterr().err
    assert (
        "kiln-compile: internal error: AttributeError: 'NoneType' object has no attribute "
        "'stage' (a bug in kiln: please report it with the reproducer)"
    ) in err
    path = Path(re.search(r"reproducer: (\S+)", err).group(1))
    assert path.read_text().endswith(ADD)
    assert f"kiln-compile {path} --target=cpu --emit=tiled" in err
