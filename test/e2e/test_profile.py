"""kiln.compile(..., profile=True): per-loop-nest cycle shares, without changing results."""

import pytest
import torch

import kiln
from kiln.zoo import ZOO


def test_profile_reports_every_loop_nest():
    model, inputs = ZOO["mlp"].make()
    compiled = kiln.compile(model, *inputs, threads=2, profile=True)
    with torch.no_grad():
        torch.testing.assert_close(compiled(*inputs), model(*inputs), rtol=1e-4, atol=1e-5)
    report = compiled.profile()
    assert report, "no regions"
    assert sum(share for _, share in report) == pytest.approx(1.0)
    assert [share for _, share in report] == sorted((s for _, s in report), reverse=True)
    # The three matmuls are reported as FMA loop nests. (How much of the time they take
    # depends on the machine's load: a test asserts no timings.)
    assert sum(1 for name, _ in report if " fma " in f" {name} ") >= 3
    assert all(" at " in name for name, _ in report)


def test_profile_needs_profile_compilation():
    model, inputs = ZOO["mlp"].make()
    compiled = kiln.compile(model, *inputs, threads=1)
    with pytest.raises(ValueError, match="profile=True"):
        compiled.profile()
