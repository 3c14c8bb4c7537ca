"""Long float reductions (sum, mean, var, instance/layer norm over ~4M elements) are as
accurate as eager PyTorch's: kiln's error against a float64 reference is at most
``4 x eager's own error + 2^-23`` (relative to the reference's largest magnitude).

A sum accumulated in one running value loses ~n * 2^-24; eager sums in a cascade
(``kiln-split-long-reductions`` splits long sums into blocks, and vector reductions sum
as trees).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
import torch.nn.functional as F

import kiln

N = 1 << 22  # 4M elements

CASES = {
    "sum": lambda x: x.sum(),
    "mean": lambda x: x.mean(),
    "var": lambda x: torch.var(x),
    "instance_norm": lambda x: F.instance_norm(x.reshape(1, 2, -1, 64)),
    "layer_norm": lambda x: F.layer_norm(x.reshape(2, -1), (N // 2,)),
}


def _relative_errors(fn, x: torch.Tensor) -> tuple[float, float]:
    """(kiln's, eager's) max abs error against float64, over the reference's max magnitude."""
    reference = fn(x.double())
    scale = reference.abs().max().item()
    eager = (fn(x).double() - reference).abs().max().item() / scale
    got = torch.as_tensor(np.asarray(kiln.compile(fn, x)(x))).double()
    return (got - reference).abs().max().item() / scale, eager


@pytest.mark.parametrize("name", list(CASES))
def test_long_f32_reduction_is_accurate(name):
    # Positive values: a sequential sum's roundings all push the same way.
    x = 0.5 + torch.rand(N, generator=torch.Generator().manual_seed(0))
    kiln_error, eager_error = _relative_errors(CASES[name], x)
    # The norms' elementwise math (rsqrt) has a floor of its own, ~1.2e-6 at any length
    # (2048 elements too); the sequential sum it replaced gave 5e-5 here.
    floor = 2e-6 if name.endswith("norm") else 2**-23
    assert kiln_error <= 4 * eager_error + floor, (kiln_error, eager_error)


@pytest.mark.parametrize("name", ["var", "instance_norm", "layer_norm"])
def test_long_f16_reduction_is_accurate(name):
    # (f16 sum and mean of 4M values near 1 overflow f16: eager returns inf as well.)
    x = (0.5 + torch.rand(N, generator=torch.Generator().manual_seed(0))).half()
    kiln_error, eager_error = _relative_errors(CASES[name], x)
    assert kiln_error <= 4 * eager_error + 2**-10, (kiln_error, eager_error)
