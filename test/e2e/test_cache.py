"""The compile cache with real compiles: misses then hits (in this process and in fresh
ones, where a hit on MLIR text imports no MLIR), keys that change with what changes the
code, KILN_CACHE=0, damaged entries rebuilt in a fresh process, two processes compiling
one model at once. Each test has its own KILN_CACHE_DIR; no test asserts a time."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import textwrap
from pathlib import Path

import numpy as np
import pytest
import torch

import kiln
from kiln.aot.cache import LAYOUT, LIBRARY

SCALE = """
#map = affine_map<(d0, d1) -> (d0, d1)>
func.func @forward(%x: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  %r = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32):
    %c = arith.constant FACTOR : f32
    %m = arith.mulf %a, %c : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  return %r : tensor<4x8xf32>
}
"""
X = np.arange(32, dtype=np.float32).reshape(4, 8)


def _scale(factor: float = 3.0) -> str:
    return SCALE.replace("FACTOR", f"{factor:e}")


@pytest.fixture
def cache_dir(tmp_path, monkeypatch) -> Path:
    folder = tmp_path / "cache"
    monkeypatch.setenv("KILN_CACHE_DIR", str(folder))
    return folder


def _entries(cache_dir: Path) -> list[Path]:
    layout = cache_dir / LAYOUT
    return sorted(layout.iterdir()) if layout.exists() else []


def test_second_compile_hits(cache_dir):
    first = kiln.compile(_scale(), threads=1)
    second = kiln.compile(_scale(), threads=1)
    assert (first.cache_status, second.cache_status) == ("miss", "hit")
    np.testing.assert_array_equal(second(X), X * 3)
    assert len(_entries(cache_dir)) == 1


def test_what_changes_the_code_changes_the_key(cache_dir):
    kiln.compile(_scale(), threads=1)
    assert kiln.compile(_scale(2.0), threads=1).cache_status == "miss"  # other text
    assert kiln.compile(_scale(), threads=2).cache_status == "miss"  # other threads
    assert kiln.compile(_scale(), threads=1, opt_level=1).cache_status == "miss"
    assert kiln.compile(_scale(), threads=1).cache_status == "hit"
    assert len(_entries(cache_dir)) == 4


def test_dump_dir_runs_the_stages(cache_dir, tmp_path):
    kiln.compile(_scale(), threads=1)
    dumped = kiln.compile(_scale(), threads=1, dump_dir=tmp_path / "dumps")
    assert dumped.cache_status == "miss"
    assert any(p.name.endswith("-llvm.mlir") for p in (tmp_path / "dumps").iterdir())


def test_kiln_cache_0_disables_it(cache_dir, monkeypatch):
    monkeypatch.setenv("KILN_CACHE", "0")
    compiled = kiln.compile(_scale(), threads=1)
    assert compiled.cache_status == "off"
    np.testing.assert_array_equal(compiled(X), X * 3)
    assert not cache_dir.exists()


@pytest.mark.parametrize("where", ["a file", "under a file", "read-only"])
def test_an_unusable_cache_folder_costs_the_cache_not_the_compile(tmp_path, monkeypatch, where):
    # Regression: a KILN_CACHE_DIR that could not be made raised a raw OSError traceback.
    blocker = tmp_path / "afile"
    blocker.write_text("")
    folders = {"a file": blocker, "under a file": blocker / "cache", "read-only": tmp_path / "ro"}
    folder = folders[where]
    if where == "read-only":
        folder.mkdir(mode=0o500)
        if os.access(folder, os.W_OK):  # root writes anywhere: the permission is moot
            folder = blocker
    monkeypatch.setenv("KILN_CACHE_DIR", str(folder))
    with pytest.warns(kiln.KilnWarning, match="cannot be used.*compiling without the cache"):
        compiled = kiln.compile(_scale(), threads=1)
    assert compiled.cache_status == "off"
    np.testing.assert_array_equal(compiled(X), X * 3)


def test_pytorch_model_hits_after_import(cache_dir):
    torch.manual_seed(0)
    model = torch.nn.Sequential(torch.nn.Linear(16, 8), torch.nn.ReLU()).eval()
    x = torch.randn(4, 16)
    assert kiln.compile(model, x, threads=1).cache_status == "miss"
    compiled = kiln.compile(model, x, threads=1)
    assert compiled.cache_status == "hit"
    torch.testing.assert_close(compiled(x), model(x), rtol=1e-5, atol=1e-6)
    with torch.no_grad():
        model[0].bias.add_(1.0)  # other weights: other imported IR
    changed = kiln.compile(model, x, threads=1)
    assert changed.cache_status == "miss"
    torch.testing.assert_close(changed(x), model(x), rtol=1e-5, atol=1e-6)


def _compile_in_subprocess(source: Path, barrier: Path | None = None) -> subprocess.Popen:
    """A fresh process compiling ``source``; it prints JSON with what happened."""
    wait = f"while not os.path.exists({str(barrier)!r}): time.sleep(0.01)\n" if barrier else ""
    script = textwrap.dedent(
        f"""
        import json, os, sys, time
        import numpy as np
        import kiln
        {wait}
        model = kiln.compile({str(source)!r}, threads=1)
        y = model(np.arange(32, dtype=np.float32).reshape(4, 8))
        print(json.dumps({{"status": model.cache_status, "y": y.tolist(),
                          "mlir": "torch_mlir" in sys.modules}}))
        """
    )
    return subprocess.Popen(
        [sys.executable, "-c", script],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=dict(os.environ),
    )


def _result(process: subprocess.Popen) -> dict:
    out, err = process.communicate(timeout=600)
    assert process.returncode == 0, err
    return json.loads(out.strip().splitlines()[-1])


def test_fresh_process_hit_imports_no_mlir(cache_dir, tmp_path):
    source = tmp_path / "scale.mlir"
    source.write_text(_scale())
    first = _result(_compile_in_subprocess(source))
    second = _result(_compile_in_subprocess(source))
    assert (first["status"], first["mlir"]) == ("miss", True)
    assert (second["status"], second["mlir"]) == ("hit", False)
    np.testing.assert_array_equal(np.array(second["y"]), X * 3)


@pytest.mark.parametrize("damage", ["truncate", "flip"])
def test_damaged_entry_is_rebuilt_in_a_fresh_process(cache_dir, tmp_path, damage):
    source = tmp_path / "scale.mlir"
    source.write_text(_scale())
    assert _result(_compile_in_subprocess(source))["status"] == "miss"
    [entry] = _entries(cache_dir)
    library = entry / LIBRARY
    data = bytearray(library.read_bytes())
    if damage == "truncate":
        data = data[: len(data) // 2]
    else:
        data[len(data) // 2] ^= 0xFF
    library.write_bytes(bytes(data))
    rebuilt = _result(_compile_in_subprocess(source))
    assert rebuilt["status"] == "rebuilt"
    np.testing.assert_array_equal(np.array(rebuilt["y"]), X * 3)
    assert _result(_compile_in_subprocess(source))["status"] == "hit"


def test_two_processes_compiling_one_model_both_succeed(cache_dir, tmp_path):
    source = tmp_path / "scale.mlir"
    source.write_text(_scale())
    barrier = tmp_path / "go"
    processes = [_compile_in_subprocess(source, barrier) for _ in range(2)]
    barrier.touch()
    results = [_result(p) for p in processes]
    for result in results:
        np.testing.assert_array_equal(np.array(result["y"]), X * 3)
    assert {r["status"] for r in results} <= {"miss", "hit"}
    assert len(_entries(cache_dir)) == 1
    assert list((cache_dir / "tmp").iterdir()) == []  # nothing half built is left


USER_PASS = '''
from kiln.passes.registry import KilnPass, register


@register
class UserScale(KilnPass):
    """A user's own pass: every float constant 3.0 becomes FACTOR."""

    name = "kiln-test-user-scale"

    def run(self, module):
        from kiln.ir import arith, ir
        from kiln.passes.common import collect_ops

        for op in collect_ops(module, ["arith.constant"]):
            value = op.attributes["value"]
            if isinstance(value, ir.FloatAttr) and value.value == 3.0:
                with op.location:
                    op.attributes["value"] = ir.FloatAttr.get(value.type, FACTOR)
'''


def _pipeline_with(pass_name: str):
    from kiln.pipeline import Stage
    from kiln.targets import TARGETS, host_target

    pipeline = TARGETS["cpu"].pipeline(host_target(1))
    graph = pipeline.stage("graph")
    return pipeline.replace_stage("graph", Stage("graph", (*graph.passes, pass_name)))


def test_editing_a_users_own_pass_changes_the_key(cache_dir, tmp_path, monkeypatch):
    """A custom pipeline's user-registered pass is keyed by its module's source: the
    library its old version built is not reused (that would be a wrong answer)."""
    import importlib

    monkeypatch.syspath_prepend(str(tmp_path))
    source = tmp_path / "user_scale_pass.py"
    source.write_text(USER_PASS.replace("FACTOR", "5.0"))
    module = importlib.import_module("user_scale_pass")
    pipeline = _pipeline_with("kiln-test-user-scale")
    first = kiln.compile(_scale(), threads=1, pipeline=pipeline)
    np.testing.assert_array_equal(first(X), X * 5)
    source.write_text(USER_PASS.replace("FACTOR", "7.0"))
    importlib.reload(module)
    second = kiln.compile(_scale(), threads=1, pipeline=pipeline)
    assert second.cache_status == "miss"
    np.testing.assert_array_equal(second(X), X * 7)
    assert kiln.compile(_scale(), threads=1, pipeline=pipeline).cache_status == "hit"


def test_a_user_pass_without_source_is_never_cached(cache_dir):
    """A pass defined where its source cannot be read (exec, an interactive session)
    cannot be keyed: its library is built every time, never stored."""
    namespace = {"__name__": "user_pass_without_source"}
    exec(USER_PASS.replace("FACTOR", "4.0").replace("user-scale", "user-scale-exec"), namespace)
    pipeline = _pipeline_with("kiln-test-user-scale-exec")
    for _ in range(2):
        compiled = kiln.compile(_scale(), threads=1, pipeline=pipeline)
        assert compiled.cache_status == "off"
        np.testing.assert_array_equal(compiled(X), X * 4)
    assert _entries(cache_dir) == []
