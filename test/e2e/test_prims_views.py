"""``torch.ops.prims`` view ops (squeeze, split_dim, collapse_view, broadcast_in_dim, ...)
compile and match eager: export's functionalization refuses them as they are, so kiln's
frontend rewrites them as aten views (kiln/frontend/prims_views.py). Exact: views only."""

from __future__ import annotations

import pytest
import torch

import kiln
from kiln.frontend.prims_views import PRIMS_VIEWS

prims = torch.ops.prims

CASES = {
    "squeeze": (lambda a: prims.squeeze(a, [0, 4, 1]) * 2, (1, 1, 2, 3, 1, 4)),
    "split_dim": (lambda a: prims.split_dim(a, 0, 3) + 1, (6, 5)),
    "collapse_view": (lambda a: prims.collapse_view(a, 1, 3) * 2, (2, 3, 4, 5)),
    "broadcast_in_dim": (lambda a: prims.broadcast_in_dim(a, [2, 3, 4], [1]) + 1, (3,)),
    "transpose": (lambda a: prims.transpose(a, [2, 0, 1]) + 1, (2, 3, 4)),
    "view_of": (lambda a: prims.view_of(a) - 1, (2, 3)),
}


@pytest.mark.parametrize("name", sorted(CASES))
def test_prims_view_matches_eager(name):
    fn, shape = CASES[name]
    x = torch.rand(shape)
    got = kiln.compile(fn, x, threads=1, quiet=True)(x)
    want = fn(x)
    assert got.shape == want.shape
    torch.testing.assert_close(got, want, rtol=0, atol=0)


def test_every_aliasing_prim_is_rewritten():
    """A prims view the table misses would stop the trace again: the table covers
    every one torch defines."""
    aliasing = set()
    for name in dir(prims):
        packet = getattr(prims, name)
        overload = getattr(packet, "default", None)
        if isinstance(overload, torch._ops.OpOverload) and any(
            ret.alias_info is not None and not ret.alias_info.is_write
            for ret in overload._schema.returns
        ):
            aliasing.add(overload)  # views only: in-place prims (resize) functionalize
    assert aliasing <= set(PRIMS_VIEWS), aliasing - set(PRIMS_VIEWS)
