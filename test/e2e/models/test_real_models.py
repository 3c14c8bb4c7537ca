"""Real models from torchvision, timm and transformers compiled by kiln and checked (models.check).

A model in ``zoo.EXPECTED`` must fail the way it lists (strict: passing fails the
test, so the list shrinks as classes get fixed); every other model must pass.
"""

from __future__ import annotations

import pytest

from models.check import run_case
from models.run_tier import verdict
from models.zoo import EXPECTED, MODELS


def _param(name: str):
    case = MODELS[name]
    return pytest.param(name, marks=pytest.mark.models if case.fast else pytest.mark.models_full)


@pytest.mark.parametrize("name", [_param(name) for name in MODELS])
def test_real_model(name):
    outcome = run_case(MODELS[name]).as_dict()
    problem = verdict(outcome, EXPECTED.get(name))
    assert problem is None, f"{problem}\n{outcome['detail']}"
    if name in EXPECTED:
        pytest.xfail(f"{EXPECTED[name][1]}: {outcome['error']}")
