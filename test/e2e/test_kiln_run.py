"""kiln-run: a library run on inputs from a file or random ones, its outputs printed and saved,
its calls timed, its description printed; bad inputs and bad libraries exit 1 with a message."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

KILN_COMPILE = Path(sys.executable).parent / "kiln-compile"
KILN_RUN = Path(sys.executable).parent / "kiln-run"

TWO_INPUTS = """
#map = affine_map<(d0, d1) -> (d0, d1)>
func.func @forward(%x: tensor<3x4xf32>, %y: tensor<3x4xf32>) -> tensor<3x4xf32> {
  %e = tensor.empty() : tensor<3x4xf32>
  %r = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%x, %y : tensor<3x4xf32>, tensor<3x4xf32>) outs(%e : tensor<3x4xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<3x4xf32>
  return %r : tensor<3x4xf32>
}
"""


@pytest.fixture(scope="module")
def library(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("run")
    (folder / "mul.mlir").write_text(TWO_INPUTS)
    subprocess.run(
        [str(KILN_COMPILE), str(folder / "mul.mlir"), "--target=cpu", "-o", str(folder / "mul.so")],
        check=True,
        capture_output=True,
    )
    return folder / "mul.so"


def _run(*args) -> subprocess.CompletedProcess:
    return subprocess.run([str(KILN_RUN), *map(str, args)], capture_output=True, text=True)


def test_inputs_from_npz_outputs_saved(library, tmp_path):
    x = np.arange(12, dtype=np.float32).reshape(3, 4)
    y = np.full((3, 4), 0.5, np.float32)
    np.savez(tmp_path / "in.npz", input1=y, input0=x)  # by name, whatever the file order
    result = _run(library, "--inputs", tmp_path / "in.npz", "--outputs", tmp_path / "out.npz")
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("output0: float32[3, 4] min 0 max 5.5 mean 2.75\n")
    np.testing.assert_array_equal(np.load(tmp_path / "out.npz")["output0"], x * y)
    np.savez(tmp_path / "ordered.npz", x, y)  # arr_0, arr_1: taken in order
    assert "max 5.5" in _run(library, "--inputs", tmp_path / "ordered.npz").stdout


def test_random_inputs_are_seeded(library):
    first, second, other = (_run(library, "--seed", s).stdout for s in (1, 1, 2))
    assert first == second != other
    assert first.startswith("output0: float32[3, 4] min ")


def test_benchmark_prints_timings(library):
    result = _run(library, "--benchmark", "--iterations", 5, "--warmup", 1)
    assert result.returncode == 0, result.stderr
    assert result.stdout.startswith("kiln-run: 5 calls on 1 thread(s): median ")
    assert " ms, p90 " in result.stdout


def test_info_describes_the_library(library):
    info = json.loads(_run(library, "--info").stdout)
    assert info["prefix"] == "mul" and info["entry"] == "forward"
    assert info["inputs"] == [{"shape": [3, 4], "dtype": "float32"}] * 2


def test_bad_inputs_and_libraries_exit_1_with_a_message(library, tmp_path):
    np.savez(tmp_path / "one.npz", np.zeros((3, 4), np.float32))
    result = _run(library, "--inputs", tmp_path / "one.npz")
    assert result.returncode == 1
    assert "holds 1 array(s) (arr_0); the model takes 2 input(s)" in result.stderr
    np.savez(tmp_path / "shape.npz", np.zeros((4, 3), np.float32), np.zeros((3, 4), np.float32))
    result = _run(library, "--inputs", tmp_path / "shape.npz")
    assert result.returncode == 1
    assert "input 0: expected float32[3, 4], got float32[4, 3]" in result.stderr
    result = _run(tmp_path / "missing.so")
    assert (result.returncode, result.stderr.strip()) == (
        1,
        f"kiln-run: error: kiln.load: no such file: {tmp_path / 'missing.so'}",
    )
    assert "must be >= 1" in _run(library, "--benchmark", "--iterations", 0).stderr
