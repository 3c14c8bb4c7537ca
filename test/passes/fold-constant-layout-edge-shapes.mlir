// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-fold-constant-layout)' | FileCheck %s

// Constants of rank 0, loops the output does not index, generics without
// operands and element types numpy has no dtype for: each folds to a constant
// of the op's own type, or is left alone (these raised Python exceptions or
// produced a tensor<1xf32> where a tensor<f32> was due; issue 13).

// Rank 0: the sum of two scalars folds to a rank-0 constant.
// CHECK-LABEL: func.func @rank0_sum
// CHECK: %[[C:.*]] = arith.constant dense<5.000000e+00> : tensor<f32>
// CHECK-NOT: linalg.generic
// CHECK: return %[[C]] : tensor<f32>
func.func @rank0_sum() -> tensor<f32> {
  %a = arith.constant dense<2.0> : tensor<f32>
  %b = arith.constant dense<3.0> : tensor<f32>
  %e = tensor.empty() : tensor<f32>
  %r = linalg.generic {indexing_maps = [affine_map<() -> ()>, affine_map<() -> ()>, affine_map<() -> ()>], iterator_types = []}
      ins(%a, %b : tensor<f32>, tensor<f32>) outs(%e : tensor<f32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %s = arith.addf %x, %y : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  return %r : tensor<f32>
}

// -----

// CHECK-LABEL: func.func @rank0_collapse
// CHECK: %[[C:.*]] = arith.constant dense<2.500000e+00> : tensor<f32>
// CHECK: return %[[C]] : tensor<f32>
func.func @rank0_collapse() -> tensor<f32> {
  %a = arith.constant dense<2.5> : tensor<1x1xf32>
  %r = tensor.collapse_shape %a [] : tensor<1x1xf32> into tensor<f32>
  return %r : tensor<f32>
}

// -----

// CHECK-LABEL: func.func @rank0_pad
// CHECK-NOT: tensor.pad
// CHECK: return %{{.*}} : tensor<f32>
func.func @rank0_pad() -> tensor<f32> {
  %a = arith.constant dense<2.0> : tensor<f32>
  %z = arith.constant 0.0 : f32
  %r = tensor.pad %a low[] high[] {
    tensor.yield %z : f32
  } : tensor<f32> to tensor<f32>
  return %r : tensor<f32>
}

// -----

// A rank-0 constant broadcast over a vector folds as before.
// CHECK-LABEL: func.func @rank0_broadcast
// CHECK: %[[C:.*]] = arith.constant dense<[3.000000e+00, 4.000000e+00, 5.000000e+00, 6.000000e+00]> : tensor<4xf32>
// CHECK: return %[[C]] : tensor<4xf32>
func.func @rank0_broadcast() -> tensor<4xf32> {
  %a = arith.constant dense<2.0> : tensor<f32>
  %b = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %e = tensor.empty() : tensor<4xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> ()>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
      ins(%a, %b : tensor<f32>, tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %s = arith.addf %x, %y : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// Must not change: a parallel loop the output does not index (each element
// written twice, the last write wins) is not elementwise.
// CHECK-LABEL: func.func @loop_not_in_output
// CHECK: %[[R:.*]] = linalg.generic
// CHECK: return %[[R]]
func.func @loop_not_in_output() -> tensor<4xf32> {
  %b = arith.constant dense<[[1.0, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]]> : tensor<4x2xf32>
  %e = tensor.empty() : tensor<4xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "parallel"]}
      ins(%b : tensor<4x2xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%y: f32, %o: f32):
    linalg.yield %y : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// Must not change: a generic without operands has no constant operand to
// decide its assertion with.
// CHECK-LABEL: func.func @assert_without_operands
// CHECK: linalg.generic
// CHECK: cf.assert
func.func @assert_without_operands(%c: i1) {
  "linalg.generic"() <{indexing_maps = [], iterator_types = [], operandSegmentSizes = array<i32: 0, 0>}> ({
    cf.assert %c, "holds"
    linalg.yield
  }) : () -> ()
  return
}

// -----

// Integers fold too (a copy of an i32 constant).
// CHECK-LABEL: func.func @copy_i32
// CHECK: %[[C:.*]] = arith.constant dense<{{\[\[}}1, 2, 3], [4, 5, 6]]> : tensor<2x3xi32>
// CHECK-NOT: linalg.generic
// CHECK: return %[[C]]
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @copy_i32() -> tensor<2x3xi32> {
  %a = arith.constant dense<[[1, 2, 3], [4, 5, 6]]> : tensor<2x3xi32>
  %e = tensor.empty() : tensor<2x3xi32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<2x3xi32>) outs(%e : tensor<2x3xi32>) {
  ^bb0(%x: i32, %o: i32):
    linalg.yield %x : i32
  } -> tensor<2x3xi32>
  return %r : tensor<2x3xi32>
}

// -----

// Must not change: numpy has no bf16, so bf16 constants and results stay as they are.
// CHECK-LABEL: func.func @bf16_left_alone
// CHECK: %[[T:.*]] = linalg.transpose
// CHECK: %[[R:.*]] = linalg.generic
// CHECK: arith.truncf
// CHECK: return %[[T]], %[[R]]
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @bf16_left_alone() -> (tensor<3x2xbf16>, tensor<2x3xbf16>) {
  %a = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xbf16>
  %e = tensor.empty() : tensor<3x2xbf16>
  %t = linalg.transpose ins(%a : tensor<2x3xbf16>) outs(%e : tensor<3x2xbf16>) permutation = [1, 0]
  %f = arith.constant dense<[[1.0, 2.0, 3.0], [4.0, 5.0, 6.0]]> : tensor<2x3xf32>
  %e2 = tensor.empty() : tensor<2x3xbf16>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%f : tensor<2x3xf32>) outs(%e2 : tensor<2x3xbf16>) {
  ^bb0(%x: f32, %o: bf16):
    %n = arith.truncf %x : f32 to bf16
    linalg.yield %n : bf16
  } -> tensor<2x3xbf16>
  return %t, %r : tensor<3x2xbf16>, tensor<2x3xbf16>
}
