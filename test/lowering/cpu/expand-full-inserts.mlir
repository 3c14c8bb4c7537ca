// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-expand-full-inserts)' | FileCheck %s

// A padded 3-D tensor put back into the 4-D shape it came from (the unit dim the
// vectorizer dropped) is a reshape of the pad's result, not a copy into a new tensor.
// CHECK-LABEL: func.func @pad_unit_dim_back
// CHECK: %[[P:.*]] = tensor.pad
// CHECK-NOT: tensor.empty
// CHECK-NOT: tensor.insert_slice
// CHECK: %[[E:.*]] = tensor.expand_shape %[[P]] {{\[\[}}0, 1], [2], [3]] output_shape [1, 3, 200, 64] : tensor<3x200x64xf32> into tensor<1x3x200x64xf32>
// CHECK: return %[[E]]
func.func @pad_unit_dim_back(%x: tensor<3x197x64xf32>) -> tensor<1x3x200x64xf32> {
  %zero = arith.constant 0.0 : f32
  %p = tensor.pad %x low[0, 0, 0] high[0, 3, 0] {
  ^bb0(%i: index, %j: index, %k: index):
    tensor.yield %zero : f32
  } : tensor<3x197x64xf32> to tensor<3x200x64xf32>
  %e = tensor.empty() : tensor<1x3x200x64xf32>
  %r = tensor.insert_slice %p into %e[0, 0, 0, 0] [1, 3, 200, 64] [1, 1, 1, 1] : tensor<3x200x64xf32> into tensor<1x3x200x64xf32>
  return %r : tensor<1x3x200x64xf32>
}

// -----

// Unit dims inside and at the end join the next (or the last) source dim; a
// rank-0 source expands with no groups.
// CHECK-LABEL: func.func @inner_and_trailing_units
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0], [1, 2], [3, 4]] output_shape [4, 1, 5, 6, 1] : tensor<4x5x6xf32> into tensor<4x1x5x6x1xf32>
// CHECK: tensor.expand_shape %{{.*}} [] output_shape [1, 1] : tensor<f32> into tensor<1x1xf32>
func.func @inner_and_trailing_units(%x: tensor<4x5x6xf32>, %s: tensor<f32>) -> (tensor<4x1x5x6x1xf32>, tensor<1x1xf32>) {
  %e = tensor.empty() : tensor<4x1x5x6x1xf32>
  %r = tensor.insert_slice %x into %e[0, 0, 0, 0, 0] [4, 1, 5, 6, 1] [1, 1, 1, 1, 1] : tensor<4x5x6xf32> into tensor<4x1x5x6x1xf32>
  %e2 = tensor.empty() : tensor<1x1xf32>
  %r2 = tensor.insert_slice %s into %e2[0, 0] [1, 1] [1, 1] : tensor<f32> into tensor<1x1xf32>
  return %r, %r2 : tensor<4x1x5x6x1xf32>, tensor<1x1xf32>
}

// -----

// Left alone: a slice of the destination (offset or smaller), a destination that
// holds data, and dynamic offsets.
// CHECK-LABEL: func.func @partial_inserts
// CHECK-COUNT-3: tensor.insert_slice
// CHECK-NOT: tensor.expand_shape
func.func @partial_inserts(%x: tensor<3x64xf32>, %d: tensor<1x4x64xf32>, %i: index) -> (tensor<1x4x64xf32>, tensor<1x3x64xf32>, tensor<1x4x64xf32>) {
  %e = tensor.empty() : tensor<1x4x64xf32>
  %a = tensor.insert_slice %x into %e[0, 1, 0] [1, 3, 64] [1, 1, 1] : tensor<3x64xf32> into tensor<1x4x64xf32>
  %e3 = tensor.empty() : tensor<1x3x64xf32>
  %b = tensor.insert_slice %x into %d[0, 0, 0] [1, 3, 64] [1, 1, 1] : tensor<3x64xf32> into tensor<1x4x64xf32>
  %c = tensor.insert_slice %x into %e[0, %i, 0] [1, 3, 64] [1, 1, 1] : tensor<3x64xf32> into tensor<1x4x64xf32>
  return %a, %e3, %c : tensor<1x4x64xf32>, tensor<1x3x64xf32>, tensor<1x4x64xf32>
}
