"""kiln/debug/carve.py: the smaller functions op bisection and reduced tests are made of."""

from __future__ import annotations

import numpy as np
import pytest

from kiln.debug.carve import backward_slice, carve, computing_ops, frontier
from kiln.debug.runner import compare, max_error
from kiln.driver import module_text
from kiln.ir import parse_module

# Ops by index: 0 %s, 1 %c, 2 %e, 3 %f (fill: constant-derived), 4 add(a, c) into %f,
# 5 mul(%0, b), 6 generic(%1) capturing %s, 7 sub(%0, a) (dead).
FUNCTION = """\
func.func @f(%a: tensor<4xf32>, %b: tensor<4xf32>) -> tensor<4xf32> {
  %s = arith.constant 3.0 : f32
  %c = arith.constant dense<2.0> : tensor<4xf32>
  %e = tensor.empty() : tensor<4xf32>
  %f = linalg.fill ins(%s : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %0 = linalg.add ins(%a, %c : tensor<4xf32>, tensor<4xf32>) outs(%f : tensor<4xf32>) -> tensor<4xf32>
  %1 = linalg.mul ins(%0, %b : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %2 = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>],
                       iterator_types = ["parallel"]}
      ins(%1 : tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%x: f32, %y: f32):
    %z = arith.addf %x, %s : f32
    linalg.yield %z : f32
  } -> tensor<4xf32>
  %3 = linalg.sub ins(%0, %a : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  return %2 : tensor<4xf32>
}
"""


@pytest.fixture
def module(parse):
    return parse(FUNCTION)


def test_computing_ops_skip_constants_and_what_derives_from_them(module):
    assert computing_ops(module) == [4, 5, 6, 7]


def test_frontier_is_what_the_prefix_computes_and_does_not_use(module):
    assert frontier(module, set(range(6))) == [(5, 0)]
    assert frontier(module, set(range(8))) == [(6, 0), (7, 0)]  # the dead sub too
    assert frontier(module, {0, 1, 2, 3}) == []


def test_backward_slice(module):
    assert backward_slice(module, 6) == {0, 1, 2, 3, 4, 5, 6}
    assert backward_slice(module, 7) == {0, 1, 2, 3, 4, 7}  # the fill needs %s


def test_prefix_keeps_arguments_and_returns_the_frontier(module, ctx):
    carved = carve(module, set(range(6)), [(5, 0)])
    assert carved.kept_arguments == (0, 1) and carved.new_arguments == 0
    text = module_text(module)
    assert "func.func @f(%arg0: tensor<4xf32>, %arg1: tensor<4xf32>) -> tensor<4xf32>" in text
    assert "linalg.mul" in text and "linalg.generic" not in text and "linalg.sub" not in text
    module.operation.verify()
    assert module_text(parse_module(text, ctx)) == text


def test_one_op_cuts_its_computed_operands_and_keeps_captured_constants(module):
    carved = carve(module, {6}, [(6, 0)])
    assert carved.kept_arguments == () and carved.new_arguments == 1
    text = module_text(module)
    # The generic's input (the mul) is now the argument; the scalar it captures stays.
    assert "func.func @f(%arg0: tensor<4xf32>) -> tensor<4xf32>" in text
    assert "arith.constant 3.000000e+00 : f32" in text
    assert "linalg.mul" not in text and "linalg.add" not in text
    module.operation.verify()


def test_one_op_keeps_its_constant_operands(module):
    """The add's constant operand and its fill (constant-derived) come along, not as arguments."""
    carved = carve(module, {4}, [(4, 0)])
    assert carved.kept_arguments == (0,) and carved.new_arguments == 0
    text = module_text(module)
    assert "linalg.fill" in text and "dense<2.000000e+00>" in text
    module.operation.verify()


def test_compare_tolerances_and_nan():
    expected = [np.array([1.0, 2.0, np.nan], np.float32)]
    assert compare([np.array([1.0005, 2.0, np.nan], np.float32)], expected) is None
    mismatch = compare([np.array([1.0, 2.5, np.nan], np.float32)], expected)
    assert mismatch.output == 0 and mismatch.index == (1,) and mismatch.bad_elements == 1
    assert (mismatch.actual, mismatch.expected) == (2.5, 2.0)
    assert "got 2.5, expected 2" in str(mismatch)
    nan = compare([np.array([1.0, 2.0, 3.0], np.float32)], expected)
    assert nan.index == (2,) and nan.max_error == float("inf")
    assert max_error([np.array([1.0, 2.25, np.nan], np.float32)], expected) == 0.25


def test_compare_reads_uint16_as_bfloat16_bits():
    one, two = np.uint16(0x3F80), np.uint16(0x4000)  # 1.0 and 2.0 in bfloat16
    assert compare([np.array([one])], [np.array([one])]) is None
    assert compare([np.array([two])], [np.array([one])]).actual == 2.0
