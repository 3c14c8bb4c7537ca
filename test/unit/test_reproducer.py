"""kiln/reproducer.py and kiln/files.py: small reproducers that still fail, unique names,
atomic writes."""

from __future__ import annotations

import dataclasses
import os
import re
from pathlib import Path

import numpy as np
import pytest
from kiln.passes import registry
from kiln.passes.registry import KilnPass, PassFailure

from kiln.driver import run_pipeline
from kiln.errors import PipelineError
from kiln.files import atomic_write, module_hash, short_hash
from kiln.ir import ir, parse_module
from kiln.pipeline import Pipeline, Stage
from kiln.reproducer import MAX_KEPT_ELEMENTS, elide_large_constants, module_text

N = 64  # a 64x64 weight: 4096 elements, well over MAX_KEPT_ELEMENTS


def _dense(rows: int, cols: int) -> str:
    values = np.arange(rows * cols, dtype=np.float32).reshape(rows, cols) / 7
    return "[" + ", ".join("[" + ", ".join(f"{v:.6e}" for v in row) + "]" for row in values) + "]"


def _resource(count: int) -> str:
    data = np.arange(count, dtype=np.float32).tobytes().hex()
    return f'{{-#\n  dialect_resources: {{ builtin: {{ w: "0x04000000{data}" }} }}\n#-}}\n'


# Fails in stage 'bufferize' (sparse tensors need the sparsifier) after adding two
# large weights (dense and dense_resource) and a small one that is kept.
SPARSE_WITH_WEIGHTS = f"""\
#CSR = #sparse_tensor.encoding<{{ map = (d0, d1) -> (d0 : dense, d1 : compressed) }}>
func.func @f(%a: tensor<{N}x{N}xf32>) -> tensor<{N}x{N}xf32> {{
  %w = arith.constant dense<{_dense(N, N)}> : tensor<{N}x{N}xf32>
  %v = arith.constant dense_resource<w> : tensor<{N}x{N}xf32>
  %s = arith.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %e = tensor.empty() : tensor<{N}x{N}xf32>
  %x = linalg.add ins(%a, %w : tensor<{N}x{N}xf32>, tensor<{N}x{N}xf32>)
                  outs(%e : tensor<{N}x{N}xf32>) -> tensor<{N}x{N}xf32>
  %y = linalg.add ins(%x, %v : tensor<{N}x{N}xf32>, tensor<{N}x{N}xf32>)
                  outs(%e : tensor<{N}x{N}xf32>) -> tensor<{N}x{N}xf32>
  %c = sparse_tensor.convert %y : tensor<{N}x{N}xf32> to tensor<{N}x{N}xf32, #CSR>
  %d = sparse_tensor.convert %c : tensor<{N}x{N}xf32, #CSR> to tensor<{N}x{N}xf32>
  "test.keep"(%s) : (tensor<3xf32>) -> ()
  return %d : tensor<{N}x{N}xf32>
}}
{_resource(N * N)}"""

SPARSE = """\
#CSR = #sparse_tensor.encoding<{{ map = (d0, d1) -> (d0 : dense, d1 : compressed) }}>
func.func @f(%a: tensor<{rows}x4xf32>) -> tensor<{rows}x4xf32, #CSR> {{
  %s = sparse_tensor.convert %a : tensor<{rows}x4xf32> to tensor<{rows}x4xf32, #CSR>
  return %s : tensor<{rows}x4xf32, #CSR>
}}
"""

TOY = Pipeline(
    "toy",
    (
        Stage("clean", ("cse",)),
        Stage("bufferize", ("one-shot-bufferize{bufferize-function-boundaries}",)),
    ),
)


def _parse(ctx, text):
    ctx.allow_unregistered_dialects = True
    return parse_module(text, ctx)


def test_elide_large_constants_keeps_types_and_small_constants(ctx):
    module = _parse(ctx, SPARSE_WITH_WEIGHTS)
    assert elide_large_constants(module.operation) == 2
    text = module_text(module)
    assert f"dense<5.000000e-01> : tensor<{N}x{N}xf32>" in text
    assert "dense_resource" not in text and "dialect_resources" not in text
    assert "dense<[1.000000e+00, 2.000000e+00, 3.000000e+00]> : tensor<3xf32>" in text
    assert len(text) < 4000
    module.operation.verify()


def test_elide_large_constants_integer_and_splat(ctx):
    module = _parse(
        ctx,
        f"""
        func.func @f() -> (tensor<{MAX_KEPT_ELEMENTS + 1}xi8>, tensor<4096xf32>) {{
          %i = arith.constant dense<[{", ".join(str(i % 7) for i in range(MAX_KEPT_ELEMENTS + 1))}]>
            : tensor<{MAX_KEPT_ELEMENTS + 1}xi8>
          %z = arith.constant dense<0.0> : tensor<4096xf32>
          return %i, %z : tensor<{MAX_KEPT_ELEMENTS + 1}xi8>, tensor<4096xf32>
        }}""",
    )
    assert elide_large_constants(module.operation) == 1  # a splat is already small
    text = module_text(module)
    assert f"dense<1> : tensor<{MAX_KEPT_ELEMENTS + 1}xi8>" in text
    assert "dense<0.000000e+00> : tensor<4096xf32>" in text


def test_failing_stage_reproducer_is_small_and_fails_the_same_way(ctx, tmp_path, monkeypatch):
    monkeypatch.setenv("KILN_REPRO_DIR", str(tmp_path))
    with pytest.raises(PipelineError) as info:
        run_pipeline(_parse(ctx, SPARSE_WITH_WEIGHTS), TOY, name="big")
    err = info.value
    assert err.stage == "bufferize"
    text = Path(err.reproducer).read_text()
    assert len(text) < 4000 < len(SPARSE_WITH_WEIGHTS) // 10
    assert "sparse_tensor.convert" in text
    # The small reproducer fails the same way.
    with pytest.raises(PipelineError) as replay:
        run_pipeline(_parse(ctx, text), TOY, start_at="bufferize", name="again")
    assert _messages(replay.value.diagnostics) == _messages(err.diagnostics)


def test_two_failing_modules_of_one_name_and_stage_get_their_own_reproducers(
    ctx, tmp_path, monkeypatch
):
    """Two processes compiling models of one class name used to share m.bufferize.mlir."""
    monkeypatch.setenv("KILN_REPRO_DIR", str(tmp_path))
    paths = []
    for size in (8, 9):
        with pytest.raises(PipelineError) as info:
            run_pipeline(_parse(ctx, SPARSE.format(rows=size)), TOY, name="m")
        paths.append(info.value.reproducer)
    assert paths[0] != paths[1]
    assert "tensor<8x4xf32>" in Path(paths[0]).read_text()
    assert "tensor<9x4xf32>" in Path(paths[1]).read_text()


def test_keep_constants_flag(ctx, tmp_path, monkeypatch):
    monkeypatch.setenv("KILN_REPRO_DIR", str(tmp_path))
    monkeypatch.setenv("KILN_REPRO_KEEP_CONSTANTS", "1")
    with pytest.raises(PipelineError) as info:
        run_pipeline(_parse(ctx, SPARSE_WITH_WEIGHTS), TOY, name="big")
    text = Path(info.value.reproducer).read_text()
    assert "dense_resource<w>" in text and len(text) > N * N * 8


@dataclasses.dataclass(frozen=True)
class _FailsOnConstants(KilnPass):
    """Test-only: fails on every non-splat constant, saying which (splats pass)."""

    name = "kiln-test-fails-on-constants"

    def run(self, module):
        errors = []

        def visit(op):
            value = op.attributes["value"] if "value" in op.attributes else None
            if isinstance(value, ir.DenseElementsAttr) and not value.is_splat:
                errors.append((op.location, "non-splat constant"))
            return ir.WalkResult.ADVANCE

        module.walk(visit)
        if errors:
            raise PassFailure(errors)


def test_constants_stay_when_eliding_them_changes_the_failure(ctx, tmp_path, monkeypatch):
    monkeypatch.setenv("KILN_REPRO_KEEP_CONSTANTS", "0")
    monkeypatch.setenv("KILN_REPRO_DIR", str(tmp_path))
    registry.all_passes()
    monkeypatch.setitem(registry._PASSES, _FailsOnConstants.name, _FailsOnConstants)
    pipeline = Pipeline("p", (Stage("check", (_FailsOnConstants.name,)),))
    with pytest.raises(PipelineError) as info:
        run_pipeline(_parse(ctx, SPARSE_WITH_WEIGHTS), pipeline, name="big")
    text = Path(info.value.reproducer).read_text()
    assert 'dense<"0x000000002249123E' in text  # the weight that fails is kept (hex)


def _messages(diagnostics: str) -> list[str]:
    return [line.split("error: ", 1)[1] for line in diagnostics.splitlines() if "error: " in line]


# --- kiln/files.py ------------------------------------------------------------


def test_atomic_write_replaces_whole_files_and_leaves_no_temporary(tmp_path):
    path = tmp_path / "sub" / "f.mlir"
    atomic_write(path, "one")
    atomic_write(path, b"two")
    assert path.read_text() == "two"
    assert sorted(os.listdir(path.parent)) == ["f.mlir"]
    assert oct(path.stat().st_mode & 0o777) == oct(0o644)


def test_atomic_write_into_a_file_raises_and_leaves_nothing(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(OSError):
        atomic_write(blocker / "f.mlir", "text")
    assert sorted(os.listdir(tmp_path)) == ["file"]


def test_hashes_tell_modules_and_pipelines_apart(ctx):
    a = parse_module("func.func @f() { return }", ctx)
    b = parse_module("func.func @g() { return }", ctx)
    assert re.fullmatch(r"[0-9a-f]{10}", module_hash(a))
    assert module_hash(a) == module_hash(parse_module("func.func @f() { return }", ctx))
    assert module_hash(a) != module_hash(b)
    assert module_hash(a, "cse") != module_hash(a, "canonicalize")
    assert short_hash("a", "bc") != short_hash("ab", "c")
