"""The frontends' conversions run as kiln stages: dumped, and replayable with kiln-opt."""

from __future__ import annotations

import subprocess
import sys

import torch

import kiln
from kiln.frontend.pipelines import ONNX_FRONTEND, TORCH_FRONTEND
from kiln.pipeline import pipeline_text


def _mlp():
    torch.manual_seed(0)
    return torch.nn.Sequential(torch.nn.Linear(8, 4), torch.nn.ReLU()).eval(), torch.randn(2, 8)


def _dump(folder, pattern: str):
    """The one dump matching ``pattern`` (names carry a hash of the module and pipeline)."""
    found = list(folder.glob(pattern))
    assert len(found) == 1, sorted(p.name for p in folder.iterdir())
    return found[0]


def test_torch_frontend_stages_are_dumped_before_the_target_stages(tmp_path):
    model, x = _mlp()
    compiled = kiln.compile(model, x, threads=1, dump_dir=tmp_path)
    torch.testing.assert_close(compiled(x), model(x), rtol=1e-5, atol=1e-6)
    assert _dump(tmp_path, "sequential-*.01-graph.mlir").is_file()
    torch_level = _dump(tmp_path, "sequential-*.frontend.01-torch.mlir").read_text()
    linalg_level = _dump(tmp_path, "sequential-*.frontend.02-linalg.mlir").read_text()
    assert "torch.aten.linear" in torch_level or "torch.aten.mm" in torch_level
    assert "linalg." in linalg_level and "torch.aten" not in linalg_level


def test_a_dumped_frontend_stage_replays_through_kiln_opt(tmp_path):
    """The torch-level dump, run through the linalg stage's passes by kiln-opt, reaches linalg."""
    model, x = _mlp()
    kiln.compile(model, x, threads=1, dump_dir=tmp_path)
    stage = TORCH_FRONTEND.stage("linalg")
    result = subprocess.run(
        [
            sys.executable,
            "-m",
            "kiln.tools.kiln_opt",
            str(_dump(tmp_path, "sequential-*.frontend.01-torch.mlir")),
            f"--pass-pipeline={pipeline_text(stage.passes)}",
        ],
        capture_output=True,
        text=True,
    )
    assert result.returncode == 0, result.stderr
    assert "linalg.matmul" in result.stdout or "linalg.generic" in result.stdout
    assert "torch.aten" not in result.stdout


def test_onnx_frontend_stages_are_dumped(tmp_path):
    model, x = _mlp()
    path = tmp_path / "mlp.onnx"
    with torch.no_grad():
        torch.onnx.export(model, (x,), str(path), dynamo=False, opset_version=17)
    dumps = tmp_path / "dumps"
    compiled = kiln.compile(path, x, threads=1, dump_dir=dumps)
    torch.testing.assert_close(compiled(x), model(x), rtol=1e-5, atol=1e-6)
    for index, stage in enumerate(ONNX_FRONTEND.stage_names()):
        assert _dump(dumps, f"mlp-*.frontend.{index + 1:02d}-{stage}.mlir").is_file()
