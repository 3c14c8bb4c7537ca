"""kiln.debug.bisect: a deliberately wrong pass put into one stage of the cpu pipeline is
found: the stage, the first op whose value is wrong (with its line here), and a reduced
lit test whose RUN line fails until the stage is fixed."""

from __future__ import annotations

import importlib
import inspect
import os
import re
import shlex
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch
from kiln.passes import registry

import kiln.debug
from kiln.errors import KilnError
from kiln.pipeline import Pipeline, Stage
from kiln.targets import TARGETS, host_target

KILN_BISECT = Path(sys.executable).parent / "kiln-bisect"


class Model(torch.nn.Module):
    """A Linear with bias, ReLU, a scale by 2.0, a second Linear and a residual add."""

    def __init__(self):
        super().__init__()
        self.first = torch.nn.Linear(8, 16)
        self.second = torch.nn.Linear(16, 8)

    def forward(self, x, y):
        h = torch.relu(self.first(x))  # line: first
        h = h * 2.0  # line: scale
        return self.second(h) + y


def _line(marker: str) -> int:
    lines, first = inspect.getsourcelines(Model)
    return next(first + i for i, line in enumerate(lines) if f"# line: {marker}" in line)


@pytest.fixture(scope="module")
def wrong_passes():
    """Registers the deliberately wrong passes of wrong_passes.py for this module only."""
    module = importlib.import_module("wrong_passes")
    names = [p.name for p in vars(module).values() if _is_pass_of(p, module)]
    yield module
    for name in names:
        registry._PASSES.pop(name, None)


def _is_pass_of(value, module) -> bool:
    return isinstance(value, type) and value.__module__ == module.__name__ and hasattr(value, "run")


def _with_wrong_pass(stage: str, wrong: str) -> Pipeline:
    """kiln's cpu pipeline (one thread) with ``wrong`` run at the end of ``stage``."""
    pipeline = TARGETS["cpu"].pipeline(host_target(1))
    old = pipeline.stage(stage)
    return pipeline.replace_stage(stage, Stage(stage, (*old.passes, wrong), old.summary))


def _inputs():
    torch.manual_seed(0)
    return Model().eval(), torch.randn(4, 8), torch.randn(4, 8)


# The wrong pass, the stage it runs in, the body op of the model op it breaks, that op's line.
CASES = [
    ("kiln-test-flip-addf", "graph", "arith.addf", "first"),
    ("kiln-test-change-two", "tiled", "arith.mulf", "scale"),
    ("kiln-test-flip-addf", "vectorized", "arith.addf", "first"),
    ("kiln-test-change-two", "bufferized", "arith.mulf", "scale"),
    ("kiln-test-flip-addf", "llvm", "arith.addf", "first"),
]


@pytest.mark.parametrize(("wrong", "stage", "body_op", "line"), CASES)
def test_bisect_names_the_stage_and_the_op(wrong_passes, tmp_path, wrong, stage, body_op, line):
    model, x, y = _inputs()
    result = kiln.debug.bisect(
        model, x, y, pipeline=_with_wrong_pass(stage, wrong), out_dir=tmp_path, log=None
    )
    assert result.stage == stage
    assert re.search(r"^%\w+ = linalg.generic", result.op, re.M)
    assert body_op in result.op
    if body_op == "arith.mulf":  # the scale's constant is shown with the op
        assert re.search(r"^%cst\w* = arith.constant 2.000000e\+00 : f32$", result.op, re.M)
    assert result.location.startswith(f"{__file__}:{_line(line)}:")
    # Every stage before the wrong one agreed with eager PyTorch; the wrong one did not.
    assert [c.stage for c in result.stages][-1] == stage
    assert all(c.mismatch is None for c in result.stages[:-1])
    assert result.stages[-1].mismatch is not None
    assert result.reproduces
    assert Path(result.test_path).parent == tmp_path
    assert f"first wrong stage: {stage}\n" in str(result) and result.test_path in str(result)


def test_reduced_test_fails_until_the_stage_is_fixed(wrong_passes, tmp_path):
    """The written test is the op's function at the stage's input; its RUN line fails with
    the wrong pass and passes with the stage as kiln has it."""
    model, x, y = _inputs()
    result = kiln.debug.bisect(
        model,
        x,
        y,
        pipeline=_with_wrong_pass("graph", "kiln-test-flip-addf"),
        out_dir=tmp_path,
        log=None,
    )
    text = Path(result.test_path).read_text()
    run = re.search(r"^// RUN: (.*) \| FileCheck %s$", text, re.M).group(1)
    assert "--load=" + str(Path(wrong_passes.__file__).resolve()) in run
    # The op alone, with its bias constant: one linalg op, its input an argument.
    body = "\n".join(line for line in text.splitlines() if not line.startswith("//"))
    assert body.count("linalg.generic") == 1 and "linalg.matmul" not in body
    assert "func.func @forward(%arg0: tensor<4x16xf32>)" in body
    failing = _run_line(run, result.test_path)
    assert failing.returncode == 1 and "kiln-bisect: results differ" in failing.stdout
    fixed = _run_line(run.replace(",kiln-test-flip-addf", ""), result.test_path)
    assert fixed.returncode == 0, fixed.stderr
    assert fixed.stdout.strip() == "kiln-bisect: results match"


def test_bug_needing_its_context_is_reduced_with_it(wrong_passes, tmp_path):
    """A bug only in contraction epilogues does not show on the add alone: the reduced
    test keeps the matmul the add depends on."""
    model, x, y = _inputs()
    result = kiln.debug.bisect(
        model,
        x,
        y,
        pipeline=_with_wrong_pass("graph", "kiln-test-flip-epilogue-addf"),
        out_dir=tmp_path,
        log=None,
    )
    assert result.stage == "graph" and "arith.addf" in result.op
    assert result.location.startswith(f"{__file__}:{_line('first')}:")
    text = Path(result.test_path).read_text()
    assert "linalg.matmul" in text or "reduction" in text
    assert result.reproduces


def test_a_right_pipeline_reports_no_stage(capsys, tmp_path):
    model, x, y = _inputs()
    result = kiln.debug.bisect(model, x, y, out_dir=tmp_path)
    assert result.stage is None and result.op is None and result.test_path is None
    assert "agrees with the reference" in capsys.readouterr().out
    assert not any(tmp_path.iterdir())


def _run_line(command: str, path: str) -> subprocess.CompletedProcess:
    args = [path if a == "%s" else a for a in shlex.split(command)]
    assert args[0] == "kiln-bisect"
    args[0] = str(KILN_BISECT)
    return subprocess.run(args, capture_output=True, text=True, timeout=600, env=dict(os.environ))


def test_the_documented_example(tmp_path):
    """docs/debugging.md's worked example: examples/buggy_pass.py's pass breaks GELU's 0.5 * x."""
    from kiln.debug.reduce import load_plugin

    example = load_plugin(Path(__file__).resolve().parents[2] / "examples" / "buggy_pass.py")
    try:
        torch.manual_seed(0)
        x = torch.randn(8, 32)
        result = kiln.debug.bisect(
            example.Block().eval(), x, pipeline=example.buggy_pipeline(), out_dir=tmp_path, log=None
        )
    finally:
        registry._PASSES.pop("kiln-mul-to-add", None)
    assert result.stage == "strength" and result.reproduces
    assert "arith.constant 5.000000e-01 : f32" in result.op and "arith.mulf" in result.op
    lines, first = inspect.getsourcelines(example.Block.forward)
    gelu = next(first + i for i, line in enumerate(lines) if "gelu" in line)
    assert result.location.startswith(f"{example.__file__}:{gelu}:")


def test_a_pipeline_with_tool_stages_is_refused_before_anything_runs(tmp_path):
    with pytest.raises(KilnError, match="has tool stages after MLIR"):
        kiln.debug.bisect("x.mlir", pipeline=TARGETS["cuda"].pipeline(), out_dir=tmp_path)


def test_inputs_must_match_the_function(tmp_path):
    text = Path(__file__).parents[1].joinpath("tools", "bisect.mlir")
    with pytest.raises(KilnError, match="1 inputs given, the model's function 'f' takes 2"):
        kiln.debug.bisect(text, np.zeros((4, 8), np.float32), out_dir=tmp_path)
    with pytest.raises(KilnError, match="inputs must be tensors or numpy arrays"):
        kiln.debug.bisect(text, 1.0, 2.0, out_dir=tmp_path)
