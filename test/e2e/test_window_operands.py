"""A convolution generic whose input is larger than its windows read compiles and is right.

The fuzzer's case (seed 1911, ``test/fuzz/bug-1a9ea0d8c5.mlir``): two convolution
generics with unit window loops over inputs larger than the windows reach.
``kiln-tighten-window-operands`` slices them to the range read, so unit-dim folding
stays sound; the results are compared with numpy's (f32 sums of 4 products: 1e-5).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

import kiln

CASE = Path(__file__).resolve().parents[1] / "fuzz" / "bug-1a9ea0d8c5.mlir"


def test_oversized_window_inputs_match_numpy():
    compiled = kiln.compile(CASE, quiet=True)
    rng = np.random.default_rng(0)
    shapes = [(1, 5, 5, 2, 4), (2, 1, 1, 4, 8), (1, 1, 1, 2, 8)]
    shapes += [(1, 1, 6, 1, 4), (1, 8, 1, 1, 4), (1, 1, 4, 1, 8)]
    x, w, o, x2, w2, o2 = (rng.standard_normal(s, dtype=np.float32) for s in shapes)
    got, got2 = compiled(x, w, o, x2, w2, o2)
    # out[n, oh, ow, g, f] += x[n, oh + kh, ow + kw, g, c] * w[g, kh, kw, c, f], kh = kw = 0
    want = o + np.einsum("gc,gcf->gf", x[0, 0, 0], w[:, 0, 0])[None, None, None]
    # out2[n, oh, ow, g, f] += x2[n, oh + kh, ow + kw, g, c] * w2[g, f, kh, kw, c]
    want2 = o2 + np.einsum("wc,fc->wf", x2[0, 0, :4, 0], w2[0, :, 0, 0])[None, None, :, None]
    np.testing.assert_allclose(np.asarray(got), want, rtol=0, atol=1e-5)
    np.testing.assert_allclose(np.asarray(got2), want2, rtol=0, atol=1e-5)
