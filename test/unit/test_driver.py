"""kiln/driver.py: running stages, dumping them, and turning failures into PipelineErrors."""

from __future__ import annotations

import dataclasses
import re
import tempfile
from pathlib import Path

import pytest
from kiln.lowering.cpu.pipeline import CpuTarget, cpu_pipeline
from kiln.passes import registry
from kiln.passes.registry import KilnPass

from kiln.driver import module_text, replay_command, repro_dir, run_pipeline
from kiln.errors import PipelineError
from kiln.ir import ir, parse_module
from kiln.pipeline import Pipeline, Stage

FOLDABLE = """\
func.func @f() -> i32 {
  %a = arith.constant 20 : i32
  %b = arith.constant 22 : i32
  %c = arith.addi %a, %b : i32
  return %c : i32
}
"""

SPARSE = """\
#CSR = #sparse_tensor.encoding<{ map = (d0, d1) -> (d0 : dense, d1 : compressed) }>
func.func @f(%a: tensor<8x8xf32>) -> tensor<8x8xf32, #CSR> {
  %s = sparse_tensor.convert %a : tensor<8x8xf32> to tensor<8x8xf32, #CSR>
  return %s : tensor<8x8xf32, #CSR>
}
"""

TOY = Pipeline(
    "toy",
    (
        Stage("fold", ("canonicalize",)),
        Stage("clean", ("cse",)),
        Stage("bufferize", ("one-shot-bufferize{bufferize-function-boundaries}",)),
    ),
)


def test_runs_every_stage_and_dumps_each(parse, tmp_path):
    module = parse(FOLDABLE)
    seen = []
    result = run_pipeline(
        module,
        TOY,
        dump_dir=str(tmp_path),
        name="toy",
        on_stage=lambda stage, m: seen.append(stage.name),
    )
    assert result is module
    assert seen == ["fold", "clean", "bufferize"]
    assert "arith.constant 42 : i32" in str(module)
    dumps = sorted(p.name for p in tmp_path.iterdir())
    stem = dumps[0].split(".")[0]
    assert re.fullmatch(r"toy-[0-9a-f]{10}", stem), dumps
    assert dumps == [f"{stem}.01-fold.mlir", f"{stem}.02-clean.mlir", f"{stem}.03-bufferize.mlir"]
    assert "arith.constant 42" in (tmp_path / f"{stem}.01-fold.mlir").read_text()


def test_start_at_and_stop_after(parse):
    module = parse(FOLDABLE)
    seen = []
    run_pipeline(
        module, TOY, start_at="clean", stop_after="clean", on_stage=lambda s, m: seen.append(s.name)
    )
    assert seen == ["clean"]
    assert "arith.addi" in str(module)  # fold did not run
    with pytest.raises(ValueError, match="--stop-after=nope"):
        run_pipeline(module, TOY, stop_after="nope")


def test_mlir_failure_writes_the_stage_input_and_replay(ctx, tmp_path, monkeypatch):
    monkeypatch.setenv("KILN_REPRO_DIR", str(tmp_path / "repro"))
    module = parse_module(SPARSE, ctx)
    with pytest.raises(PipelineError) as info:
        run_pipeline(module, TOY, name="sparse")
    err = info.value
    assert err.stage == "bufferize"
    assert "sparse_tensor ops must be bufferized with the sparsifier" in err.diagnostics
    assert err.pass_spec == "one-shot-bufferize{bufferize-function-boundaries}"
    reproducer = Path(err.reproducer)
    assert reproducer.parent == tmp_path / "repro"
    assert re.fullmatch(r"sparse\.bufferize\.[0-9a-f]{10}\.mlir", reproducer.name)
    # The reproducer is the IR the failing stage received, and it parses again.
    text = reproducer.read_text()
    assert "sparse_tensor.convert" in text and "memref" not in text
    assert module_text(parse_module(text, ctx)) == text
    assert err.command == replay_command(str(reproducer), TOY.stage("bufferize"))


def test_python_pass_failure_is_a_pipeline_error(ctx, tmp_path, monkeypatch):
    monkeypatch.setenv("KILN_REPRO_DIR", str(tmp_path))
    pipeline = Pipeline(
        "bad", (Stage("ok", ("canonicalize",)), Stage("tile", ("kiln-tile-and-fuse{threads=0}",)))
    )
    with pytest.raises(PipelineError) as info:
        run_pipeline(parse_module(FOLDABLE, ctx), pipeline, name="m")
    assert info.value.stage == "tile"
    assert info.value.diagnostics == "ValueError: kiln-tile-and-fuse: threads must be >= 1, got 0"
    assert isinstance(info.value.__cause__, ValueError)
    assert "arith.constant 42" in Path(info.value.reproducer).read_text()  # stage ok ran first


def test_failure_names_the_failing_pass_of_the_stage(ctx, tmp_path, monkeypatch):
    """Upstream diagnostics do not say which pass emitted them: the stage is re-run pass
    by pass and the error names the first that fails."""
    monkeypatch.setenv("KILN_REPRO_DIR", str(tmp_path))
    bufferize = "one-shot-bufferize{bufferize-function-boundaries}"
    pipeline = Pipeline(
        "p", (Stage("mixed", ("canonicalize", "func.func(cse)", bufferize, "cse")),)
    )
    with pytest.raises(PipelineError) as info:
        run_pipeline(parse_module(SPARSE, ctx), pipeline, name="sparse")
    assert info.value.pass_spec == bufferize
    assert str(info.value).startswith(f"kiln: stage 'mixed' failed in pass '{bufferize}':\n")


def test_bad_spec_in_a_stage_is_a_pipeline_error(ctx, tmp_path, monkeypatch):
    monkeypatch.setenv("KILN_REPRO_DIR", str(tmp_path))
    pipeline = Pipeline("bad", (Stage("broken", ("canonicalize{bogus=1}",)),))
    with pytest.raises(PipelineError) as info:
        run_pipeline(parse_module(FOLDABLE, ctx), pipeline, name="m")
    assert info.value.stage == "broken" and "bogus" in info.value.diagnostics


def test_replay_command():
    """The command spells out the stage's passes: exact for stock and custom pipelines."""
    target = CpuTarget("host", 16, 2)
    command = replay_command("/tmp/my dir/m.tiled.mlir", cpu_pipeline(target).stage("tiled"))
    assert command == (
        "kiln-opt '/tmp/my dir/m.tiled.mlir' "
        "'--pass-pipeline=builtin.module(kiln-tile-and-fuse{threads=2 min-parallel-iterations=16384 "
        "vector-width=16},kiln-decompose-grouped-convs,canonicalize,cse,"
        "kiln-pack-conv-filters)'"
    )
    clean = TOY.stage("clean")
    assert replay_command("m.mlir", clean) == (
        "kiln-opt m.mlir '--pass-pipeline=builtin.module(" + ",".join(clean.passes) + ")'"
    )


def test_repro_dir(monkeypatch, tmp_path):
    monkeypatch.setenv("KILN_REPRO_DIR", str(tmp_path))
    assert repro_dir() == tmp_path
    monkeypatch.delenv("KILN_REPRO_DIR")
    assert repro_dir() == Path(tempfile.gettempdir()) / "kiln-repro"


@dataclasses.dataclass(frozen=True)
class _BreakSignature(KilnPass):
    """Test-only: gives @f a signature its body does not have (invalid IR, benign to passes)."""

    name = "kiln-test-break-signature"

    def run(self, module):
        for op in module.regions[0].blocks[0].operations:
            op.attributes["function_type"] = ir.TypeAttr.get(
                ir.FunctionType.get([ir.IntegerType.get_signless(32)], [])
            )


@pytest.mark.parametrize("verify_each", [False, True])
def test_invalid_ir_from_a_pass_is_reported_with_or_without_verify_each(
    ctx, tmp_path, monkeypatch, verify_each
):
    """Per-pass verification is off by default; a broken stage output is still caught.

    The stage is replayed with every pass verified, so the diagnostic is the
    one MLIR gives when the pass that broke the IR is verified.
    """
    monkeypatch.setenv("KILN_REPRO_DIR", str(tmp_path))
    registry.all_passes()  # loads kiln's passes; the test pass is added for this test only
    monkeypatch.setitem(registry._PASSES, _BreakSignature.name, _BreakSignature)
    pipeline = Pipeline("bad", (Stage("broken", ("kiln-test-break-signature", "canonicalize")),))
    with pytest.raises(PipelineError) as info:
        run_pipeline(parse_module(FOLDABLE, ctx), pipeline, name="m", verify_each=verify_each)
    assert info.value.stage == "broken"
    assert "entry block must have 1 arguments to match function signature" in (
        info.value.diagnostics
    )
    assert "arith.addi" in Path(info.value.reproducer).read_text()
