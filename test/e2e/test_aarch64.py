"""AArch64: kiln-compile --triple=aarch64-linux-gnu cross-compiles a model (NEON, 4 f32 lanes);
the C example, cross-built by CMake, runs it under qemu-user; its numbers match the same model
built for this machine and eager PyTorch. The library is refused here by kiln.load.

These tests need Debian's qemu-user, gcc-aarch64-linux-gnu and libc6-dev-arm64-cross, which
``tools/dev.sh setup`` installs when run as root. Without them the tests fail, naming the
packages: a missing tool must not pass unnoticed as a skip.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest
import torch

import kiln
from kiln.api import load_model
from kiln.driver import module_text
from kiln.runtime.library import read_info

EXAMPLE = Path(__file__).resolve().parents[2] / "examples" / "c_deploy"
KILN_COMPILE = Path(sys.executable).parent / "kiln-compile"
SYSROOT = Path("/usr/aarch64-linux-gnu")
TRIPLE = "aarch64-linux-gnu"


def _require_cross_tools() -> None:
    missing = [
        package
        for package, present in (
            ("qemu-user", shutil.which("qemu-aarch64")),
            ("gcc-aarch64-linux-gnu", shutil.which("aarch64-linux-gnu-gcc")),
            ("libc6-dev-arm64-cross", (SYSROOT / "lib" / "crti.o").exists()),
        )
        if not present
    ]
    if missing:
        pytest.fail(
            f"the AArch64 tests need the Debian packages {', '.join(missing)}: run "
            "tools/dev.sh setup as root, or apt-get install them"
        )


class SmallConvNet(torch.nn.Module):
    """A convolution, a pooling and a linear head: the CPU schedules of each kind."""

    def __init__(self):
        super().__init__()
        self.conv = torch.nn.Conv2d(3, 16, 3, padding=1)
        self.fc = torch.nn.Linear(16 * 4 * 4, 10)

    def forward(self, x):
        y = torch.nn.functional.max_pool2d(torch.relu(self.conv(x)), 2)
        return self.fc(y.flatten(1))


@pytest.fixture(scope="module")
def model_mlir(tmp_path_factory):
    """SmallConvNet at the linalg level in an .mlir file, its input and eager output."""
    torch.manual_seed(0)
    model, x = SmallConvNet().eval(), torch.randn(2, 3, 8, 8)
    module, _, _ = load_model(model, (x,), None)
    path = tmp_path_factory.mktemp("aarch64") / "convnet.mlir"
    path.write_text(module_text(module))
    with torch.no_grad():
        return path, x.numpy(), model(x).numpy()


def _kiln_compile(source: Path, output: Path, *flags) -> subprocess.CompletedProcess:
    command = [str(KILN_COMPILE), str(source), "--target=cpu", "-o", str(output), *flags]
    return subprocess.run(command, capture_output=True, text=True)


def test_cross_compiled_library_runs_under_qemu_like_the_host_one(model_mlir, tmp_path):
    _require_cross_tools()
    source, x, expected = model_mlir
    arm = _kiln_compile(source, tmp_path / "arm" / "model.so", f"--triple={TRIPLE}")
    assert arm.returncode == 0, arm.stderr
    info = read_info(tmp_path / "arm" / "model.so")
    assert (info.machine, info.cpu, info.features) == ("aarch64", "generic", ("asimd",))
    host = _kiln_compile(source, tmp_path / "host" / "model.so", "--vector-width=4")
    assert host.returncode == 0, host.stderr
    on_host = kiln.load(tmp_path / "host" / "model.so")(x)

    build = tmp_path / "build"
    for command in (
        ["cmake", "-S", str(EXAMPLE), "-B", str(build), f"-DKILN_MODEL_DIR={tmp_path / 'arm'}"]
        + ["-DCMAKE_C_COMPILER=aarch64-linux-gnu-gcc", "-DCMAKE_SYSTEM_NAME=Linux"]
        + ["-DCMAKE_SYSTEM_PROCESSOR=aarch64"],
        ["cmake", "--build", str(build)],
    ):
        result = subprocess.run(command, capture_output=True, text=True)
        assert result.returncode == 0, result.stdout + result.stderr
    x.tofile(tmp_path / "in0.bin")
    run = subprocess.run(
        ["qemu-aarch64", "-L", str(SYSROOT), str(build / "run_model")]
        + [str(tmp_path / "in0.bin"), str(tmp_path / "out0.bin")],
        capture_output=True,
        text=True,
    )
    assert run.returncode == 0, run.stderr
    on_arm = np.fromfile(tmp_path / "out0.bin", np.float32).reshape(expected.shape)
    # Same IR, same 4-lane schedule: only LLVM's instruction choices differ (FMA contraction).
    np.testing.assert_allclose(on_arm, on_host, rtol=1e-5, atol=1e-5)
    np.testing.assert_allclose(on_arm, expected, rtol=1e-4, atol=1e-4)


def test_aarch64_library_is_refused_on_this_machine(model_mlir, tmp_path):
    _require_cross_tools()
    result = _kiln_compile(model_mlir[0], tmp_path / "arm.so", f"--triple={TRIPLE}")
    assert result.returncode == 0, result.stderr
    with pytest.raises(kiln.LibraryError, match=r"is built for aarch64 \(aarch64-linux-gnu\)"):
        kiln.load(tmp_path / "arm.so")


def test_what_aarch64_cannot_have_is_refused_by_name(model_mlir, tmp_path):
    source = model_mlir[0]
    wide = _kiln_compile(source, tmp_path / "a.so", f"--triple={TRIPLE}", "--vector-width=8")
    assert wide.returncode == 1
    assert "aarch64 has 128-bit NEON vectors (4 f32 lanes)" in wide.stderr
    riscv = _kiln_compile(source, tmp_path / "r.so", "--triple=riscv64-linux-gnu")
    assert "kiln cannot build libraries for 'riscv64-linux-gnu'" in riscv.stderr


def test_threads_on_aarch64_need_its_openmp_runtime(model_mlir, tmp_path, monkeypatch):
    _require_cross_tools()
    monkeypatch.delenv("KILN_OPENMP_AARCH64", raising=False)
    result = _kiln_compile(model_mlir[0], tmp_path / "t.so", f"--triple={TRIPLE}", "--threads=2")
    assert result.returncode == 1
    assert "set KILN_OPENMP_AARCH64 to an OpenMP runtime" in result.stderr
    assert "or build it with threads=1" in result.stderr
