"""The model zoo compiled by kiln on 1 and 2 threads, compared with eager PyTorch.

Each model is compiled once per thread count (module-scoped fixtures); the
tolerances are the zoo's own (kiln/zoo.py).
"""

from __future__ import annotations

import numpy as np
import pytest
import torch
from caller_inputs import call_keeping_inputs

import kiln
from kiln.zoo import ZOO

THREADS = (1, 2)


@pytest.fixture(scope="module", params=sorted(ZOO))
def zoo_case(request):
    """(entry, model, inputs, eager output) for one zoo model."""
    entry = ZOO[request.param]
    model, inputs = entry.make()
    with torch.no_grad():
        reference = model(*inputs)
    return entry, model, inputs, reference


@pytest.fixture(scope="module", params=THREADS, ids=lambda t: f"threads{t}")
def compiled(zoo_case, request):
    """The zoo model compiled by kiln with ``threads`` threads."""
    _, model, inputs, _ = zoo_case
    return kiln.compile(model, *inputs, threads=request.param)


def test_matches_eager(zoo_case, compiled):
    entry, _, inputs, reference = zoo_case
    out = compiled(*inputs)
    assert isinstance(out, torch.Tensor)
    assert out.shape == reference.shape
    assert out.dtype == reference.dtype
    torch.testing.assert_close(out, reference, rtol=entry.rtol, atol=entry.atol)


def test_numpy_inputs_give_numpy_outputs(zoo_case, compiled):
    entry, _, inputs, reference = zoo_case
    out = compiled(*(x.numpy() for x in inputs))
    assert isinstance(out, np.ndarray)
    assert out.shape == tuple(reference.shape)
    assert out.dtype == np.float32
    torch.testing.assert_close(torch.from_numpy(out), reference, rtol=entry.rtol, atol=entry.atol)


def test_second_call_on_new_inputs_matches_eager(zoo_case, compiled):
    # Outputs are out-params: a second call must not see the first call's results.
    entry, model, inputs, _ = zoo_case
    torch.manual_seed(1)
    fresh = entry.inputs()
    assert not torch.equal(fresh[0], inputs[0])
    with torch.no_grad():
        reference = model(*fresh)
    torch.testing.assert_close(compiled(*fresh), reference, rtol=entry.rtol, atol=entry.atol)


def test_inputs_are_left_unchanged(zoo_case, compiled):
    # kiln never writes the caller's memory, through either path of the runtime.
    _, _, inputs, _ = zoo_case
    call_keeping_inputs(compiled, *inputs)
    call_keeping_inputs(compiled, *(x.numpy() for x in inputs))


def test_runs_on_the_requested_threads(compiled, request):
    assert compiled.threads == request.node.callspec.params["compiled"]
