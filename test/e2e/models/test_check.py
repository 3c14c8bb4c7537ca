"""The real-model tier's own rule (``check.py``), on hand-made tensors."""

from __future__ import annotations

import torch

from models.check import usable_reference, within_tolerance


def test_a_float64_run_with_nan_where_eager_is_finite_is_no_reference():
    eager = torch.tensor([1.0, 2.0, 3.0])
    assert (
        usable_reference(torch.tensor([1.0, float("nan"), 3.0], dtype=torch.float64), eager) is None
    )
    assert (
        usable_reference(torch.tensor([1.0, float("inf"), 3.0], dtype=torch.float64), eager) is None
    )


def test_a_finite_float64_run_stays_the_reference():
    eager = torch.tensor([1.0, float("nan"), 3.0])
    ref = torch.tensor([1.0, float("nan"), 3.0], dtype=torch.float64)  # NaN where eager's is
    assert usable_reference(ref, eager) is ref
    assert usable_reference(None, eager) is None


def test_within_tolerance_falls_back_to_the_float32_floor_without_reference():
    assert within_tolerance(2e-5, None, 1.0)
    assert not within_tolerance(2e-4, None, 1.0)
