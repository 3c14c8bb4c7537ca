// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-while-carried-buffers)' | FileCheck %s
// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-while-carried-buffers, one-shot-bufferize{bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map})' | FileCheck %s --check-prefix=BUF

// torch-mlir's while loop: the condition carried first, fresh tensors yielded. The
// condition moves last; each yielded tensor is written into its carried buffer.
// CHECK-LABEL: func.func @torch_while
// CHECK-SAME: (%[[X0:.*]]: tensor<4xf32>, %[[T:.*]]: i1)
// CHECK: scf.while (%[[X:.*]] = %[[X0]], %[[C:.*]] = %[[T]]) : (tensor<4xf32>, i1) -> tensor<4xf32>
// CHECK: scf.condition(%[[C]]) %[[X]] : tensor<4xf32>
// CHECK: ^bb0(%[[A:.*]]: tensor<4xf32>):
// CHECK: %[[Y:.*]] = linalg.generic
// CHECK: %[[M:.*]] = bufferization.materialize_in_destination %[[Y]] in %[[A]]
// CHECK: scf.yield %[[M]], %{{.*}} : tensor<4xf32>, i1
// BUF-LABEL: func.func @torch_while
// BUF: scf.while
// BUF-NOT: memref.alloc
// BUF: scf.condition
// BUF: memref.alloc
// BUF: linalg.generic
// BUF: memref.copy
// BUF: scf.yield
#id = affine_map<(d0) -> (d0)>
func.func @torch_while(%x0: tensor<4xf32>, %t: i1) -> tensor<4xf32> {
  %one = arith.constant 1.0 : f32
  %r = scf.while (%c = %t, %x = %x0) : (i1, tensor<4xf32>) -> tensor<4xf32> {
    scf.condition(%c) %x : tensor<4xf32>
  } do {
  ^bb0(%a: tensor<4xf32>):
    %e = tensor.empty() : tensor<4xf32>
    %y = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]} ins(%a : tensor<4xf32>) outs(%e : tensor<4xf32>) {
    ^bb0(%in: f32, %out: f32):
      %s = arith.addf %in, %one : f32
      linalg.yield %s : f32
    } -> tensor<4xf32>
    %c0 = arith.constant 0 : index
    %v = tensor.extract %y[%c0] : tensor<4xf32>
    %more = arith.cmpf olt, %v, %one : f32
    scf.yield %more, %y : i1, tensor<4xf32>
  }
  return %r : tensor<4xf32>
}

// -----

// Unchanged: a condition that computes what it passes on (not before-block arguments),
// and an aligned loop yielding its carried tensor as it is.
// CHECK-LABEL: func.func @unchanged
// CHECK: scf.while (%[[X:.*]] = %{{.*}}) : (tensor<4xf32>) -> tensor<4xf32>
// CHECK: scf.condition(%{{.*}}) %[[X]]
// CHECK-NOT: materialize_in_destination
// CHECK: scf.while (%{{.*}} = %{{.*}}, %{{.*}} = %{{.*}}) : (tensor<4xf32>, i1) -> (tensor<4xf32>, f32)
// CHECK-NOT: materialize_in_destination
func.func @unchanged(%x0: tensor<4xf32>, %t: i1) -> (tensor<4xf32>, f32) {
  %c0 = arith.constant 0 : index
  %r = scf.while (%x = %x0) : (tensor<4xf32>) -> tensor<4xf32> {
    %v = tensor.extract %x[%c0] : tensor<4xf32>
    %zero = arith.constant 0.0 : f32
    %go = arith.cmpf olt, %v, %zero : f32
    scf.condition(%go) %x : tensor<4xf32>
  } do {
  ^bb0(%a: tensor<4xf32>):
    scf.yield %a : tensor<4xf32>
  }
  %s:2 = scf.while (%x = %x0, %c = %t) : (tensor<4xf32>, i1) -> (tensor<4xf32>, f32) {
    %v = tensor.extract %x[%c0] : tensor<4xf32>
    scf.condition(%c) %x, %v : tensor<4xf32>, f32
  } do {
  ^bb0(%a: tensor<4xf32>, %f: f32):
    %no = arith.constant false
    scf.yield %a, %no : tensor<4xf32>, i1
  }
  return %s#0, %s#1 : tensor<4xf32>, f32
}
