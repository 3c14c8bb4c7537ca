// RUN: kiln-opt %s --pass-pipeline='builtin.module(kiln-fold-constant-layout)' | FileCheck %s
// XFAIL: *
// Bug: when the asserted condition compares with a constant defined inside
// the body, the assertion and compare are dropped but the constant stays, so
// the result-less generic (body: arith.constant + linalg.yield) is not erased,
// against the docstring ("result-less generics asserting a condition that
// holds on constants are removed"). Only ops without side effects remaining
// should count as "nothing left to do".

#id = affine_map<(d0) -> (d0)>

// CHECK-LABEL: func.func @assertion_with_body_constant
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK-NOT: linalg.generic
// CHECK: return %[[X]] : tensor<4xf32>
func.func @assertion_with_body_constant(%x: tensor<4xf32>) -> tensor<4xf32> {
  %var = arith.constant dense<[1.0, 2.0, 0.5, 4.0]> : tensor<4xf32>
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel"]} ins(%var : tensor<4xf32>) {
  ^bb0(%v: f32):
    %zero = arith.constant 0.0 : f32
    %positive = arith.cmpf ogt, %v, %zero : f32
    cf.assert %positive, "running_var must be positive"
    linalg.yield
  }
  return %x : tensor<4xf32>
}
