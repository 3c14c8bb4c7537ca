// RUN: kiln-opt %s --pass-pipeline='builtin.module(kiln-guard-integer-division)' | FileCheck %s
// RUN: kiln-opt %s --pass-pipeline='builtin.module(kiln-guard-integer-division, kiln-guard-integer-division)' | FileCheck %s

// A size divided by a dynamic size (torch-mlir's view sizing): 0 becomes 1; a second
// run adds nothing.
// CHECK-LABEL: func.func @view_size
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>, %[[N:.*]]: index)
// CHECK: %[[DIM:.*]] = tensor.dim %[[X]]
// CHECK: %[[ZERO:.*]] = arith.constant 0 : index
// CHECK: %[[ONE:.*]] = arith.constant 1 : index
// CHECK: %[[IS_ZERO:.*]] = arith.cmpi eq, %[[DIM]], %[[ZERO]] : index
// CHECK: %[[SAFE:.*]] = arith.select %[[IS_ZERO]], %[[ONE]], %[[DIM]] : index
// CHECK: %[[Q:.*]] = arith.divsi %[[N]], %[[SAFE]] : index
// CHECK: arith.cmpi eq
// CHECK: %[[SAFE2:.*]] = arith.select
// CHECK: arith.remui %[[Q]], %[[SAFE2]] : index
// CHECK-NOT: arith.select
// CHECK: return
func.func @view_size(%x: tensor<?x8xf32>, %n: index) -> index {
  %c0 = arith.constant 0 : index
  %d = tensor.dim %x, %c0 : tensor<?x8xf32>
  %q = arith.divsi %n, %d : index
  %r = arith.remui %q, %n : index
  return %r : index
}

// Must not change: a non-zero constant divisor, and divisions of the data inside a
// linalg body (PyTorch's integer division semantics are the body's business).
// CHECK-LABEL: func.func @unchanged
// CHECK-NOT: arith.select
// CHECK: arith.divsi %{{.*}}, %{{.*}} : index
// CHECK: arith.floordivsi %{{.*}}, %{{.*}} : i64
// CHECK-NOT: arith.select
// CHECK: return
func.func @unchanged(%n: index, %a: tensor<4xi64>, %b: tensor<4xi64>) -> (index, tensor<4xi64>) {
  %c4 = arith.constant 4 : index
  %q = arith.divsi %n, %c4 : index
  %e = tensor.empty() : tensor<4xi64>
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
      ins(%a, %b : tensor<4xi64>, tensor<4xi64>) outs(%e : tensor<4xi64>) {
  ^bb0(%x: i64, %y: i64, %o: i64):
    %f = arith.floordivsi %x, %y : i64
    linalg.yield %f : i64
  } -> tensor<4xi64>
  return %q, %r : index, tensor<4xi64>
}
