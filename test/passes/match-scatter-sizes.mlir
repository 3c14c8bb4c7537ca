// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-match-scatter-sizes)' | FileCheck %s
// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-match-scatter-sizes,canonicalize)' | FileCheck %s --check-prefix=CANON

// x[idx, mask] = values as torch-mlir emits it: 3 updates cast to a dynamic count, index
// rows of a dynamic count. The index rows are cast to the updates' static count 3, so
// canonicalization's fold of the updates' cast leaves a valid scatter (without the pass
// the fold gives "mismatch in shape of indices and update value at dim#0").
// CHECK-LABEL: func.func @static_updates
// CHECK-SAME: (%[[X:.*]]: tensor<5x5xf32>, %[[IDX:.*]]: tensor<?x2xi64>, %[[V:.*]]: tensor<3x1x1xf32>)
// CHECK: %[[DYN:.*]] = tensor.cast %[[V]] : tensor<3x1x1xf32> to tensor<?x1x1xf32>
// CHECK: %[[UPD:.*]] = tensor.cast %[[DYN]] : tensor<?x1x1xf32> to tensor<3x1x1xf32>
// CHECK: %[[ROWS:.*]] = tensor.cast %[[IDX]] : tensor<?x2xi64> to tensor<3x2xi64>
// CHECK: tm_tensor.scatter {{.*}} ins(%[[UPD]], %[[ROWS]] : tensor<3x1x1xf32>, tensor<3x2xi64>)
// CANON-LABEL: func.func @static_updates
// CANON: tm_tensor.scatter {{.*}} ins(%{{.*}}, %{{.*}} : tensor<3x1x1xf32>, tensor<3x2xi64>)
func.func @static_updates(%x: tensor<5x5xf32>, %idx: tensor<?x2xi64>, %v: tensor<3x1x1xf32>) -> tensor<5x5xf32> {
  %u = tensor.cast %v : tensor<3x1x1xf32> to tensor<?x1x1xf32>
  %r = tm_tensor.scatter {dimension_map = array<i64: 0, 1>} unique_indices(true) ins(%u, %idx : tensor<?x1x1xf32>, tensor<?x2xi64>) outs(%x : tensor<5x5xf32>) {
  ^bb0(%a: f32, %b: f32):
    tm_tensor.yield %a : f32
  } -> tensor<5x5xf32>
  return %r : tensor<5x5xf32>
}

// -----

// Both counts dynamic (nothing known statically): unchanged.
// CHECK-LABEL: func.func @dynamic_both
// CHECK-NOT: tensor.cast
// CHECK: tm_tensor.scatter {{.*}} ins(%{{.*}}, %{{.*}} : tensor<?x1xf32>, tensor<?x1xi64>)
func.func @dynamic_both(%x: tensor<5xf32>, %idx: tensor<?x1xi64>, %u: tensor<?x1xf32>) -> tensor<5xf32> {
  %r = tm_tensor.scatter {dimension_map = array<i64: 0>} unique_indices(false) ins(%u, %idx : tensor<?x1xf32>, tensor<?x1xi64>) outs(%x : tensor<5xf32>) {
  ^bb0(%a: f32, %b: f32):
    tm_tensor.yield %a : f32
  } -> tensor<5xf32>
  return %r : tensor<5xf32>
}

// -----

// Both counts static: unchanged.
// CHECK-LABEL: func.func @static_both
// CHECK-NOT: tensor.cast
// CHECK: tm_tensor.scatter {{.*}} ins(%{{.*}}, %{{.*}} : tensor<2x1xf32>, tensor<2x1xi64>)
func.func @static_both(%x: tensor<5xf32>, %idx: tensor<2x1xi64>, %u: tensor<2x1xf32>) -> tensor<5xf32> {
  %r = tm_tensor.scatter {dimension_map = array<i64: 0>} unique_indices(false) ins(%u, %idx : tensor<2x1xf32>, tensor<2x1xi64>) outs(%x : tensor<5xf32>) {
  ^bb0(%a: f32, %b: f32):
    tm_tensor.yield %a : f32
  } -> tensor<5xf32>
  return %r : tensor<5xf32>
}
