"""benchmarks/gpu.py without a GPU: it compiles its GEMM to tensor cores, and says why it cannot run."""

from __future__ import annotations

import pytest
import torch

from benchmarks import gpu


@pytest.mark.parametrize(
    "chip, cores, launches",
    [
        ("sm_80", "mma.sync", 2),  # the matmul, then its f32 -> f16 truncation
        ("sm_90a", "wgmma", 1),  # the wgmma kernel truncates on its way out
    ],
)
def test_compile_only_puts_the_gemm_on_tensor_cores(capsys, chip, cores, launches):
    assert gpu.main(["--compile-only", "--chip", chip, "--gemm", "256", "--skip-zoo"]) == 0
    out = capsys.readouterr().out
    assert f"gemm256 f16: {chip}" in out and f"tensor cores: {cores}" in out
    assert f"{launches} launches/copies" in out


def test_without_a_gpu_it_exits_2_and_says_why(capsys, monkeypatch):
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert gpu.main(["--gemm", "256", "--skip-zoo"]) == 2
    assert "no GPU to run on: torch sees no CUDA GPU" in capsys.readouterr().err


def test_gemm_error_flags_a_wrong_result():
    a = torch.ones(4, 4)
    assert gpu.gemm_error(a, a).startswith("rel 0.0e+00")
    assert gpu.gemm_error(a * 2, a).endswith("TOO LARGE")
