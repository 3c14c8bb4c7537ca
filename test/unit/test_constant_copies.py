"""Constant folding and packing copy weights as few times as they can (issue 12, compile
time): reads are views of the attribute, panels are built with one copy, the splat check
stops at the first differing elements. Same values as before."""

from __future__ import annotations

import numpy as np
import pytest
from kiln.lowering.cpu.pack_contractions import _panels
from kiln.passes.common import constant_array, dense_constant

from kiln.ir import arith, ir


def _reference_panels(bkn: np.ndarray, n_blocks: int, nr: int) -> np.ndarray:
    """Pad N to n_blocks * nr, split it, move the block axis before K (what _pack_rhs did)."""
    pad = [(0, 0)] * (bkn.ndim - 1) + [(0, n_blocks * nr - bkn.shape[-1])]
    split = np.pad(bkn, pad).reshape(*bkn.shape[:-1], n_blocks, nr)
    return np.ascontiguousarray(np.moveaxis(split, -2, -3))


@pytest.mark.parametrize(
    ("shape", "nr"), [((5, 37), 16), ((2, 3, 32), 16), ((4, 7), 16), ((2, 3, 6, 40), 8)]
)
def test_panels_match_pad_then_move(shape, nr):
    rng = np.random.default_rng(0)
    bkn = rng.standard_normal(shape).astype(np.float32)
    transposed_view = np.ascontiguousarray(bkn.swapaxes(-1, -2)).swapaxes(-1, -2)
    n_blocks = -(-shape[-1] // nr)
    expected = _reference_panels(bkn, n_blocks, nr)
    for source in (bkn, transposed_view):
        panels = _panels(source, n_blocks, nr)
        assert panels.flags.c_contiguous
        np.testing.assert_array_equal(panels, expected)


def _constant(array: np.ndarray) -> ir.Value:
    attr = ir.DenseElementsAttr.get(array)
    return arith.ConstantOp(attr.type, attr).result


def test_constant_array_is_a_read_only_view():
    with ir.Context(), ir.Location.unknown():
        module = ir.Module.create()
        with ir.InsertionPoint(module.body):
            value = _constant(np.arange(12, dtype=np.float32).reshape(3, 4))
        first, second = constant_array(value), constant_array(value)
        assert np.shares_memory(first, second)  # no copy per read
        assert not first.flags.writeable  # the attribute is immutable: writing raises
        np.testing.assert_array_equal(first, np.arange(12).reshape(3, 4))


@pytest.mark.parametrize(
    ("array", "splat"),
    [
        (np.full((300,), 2.5, np.float32), True),
        (np.r_[np.zeros(200), [1.0]].astype(np.float32), False),  # differs after the first elements
        (np.arange(300, dtype=np.float32), False),
    ],
)
def test_splats_are_found_anywhere(array, splat):
    with ir.Context(), ir.Location.unknown():
        module = ir.Module.create()
        with ir.InsertionPoint(module.body):
            value = dense_constant(array, ir.F32Type.get())
        attr = ir.DenseElementsAttr(value.owner.attributes["value"])
        assert attr.is_splat == splat
        if not splat:
            np.testing.assert_array_equal(np.array(attr), array)
