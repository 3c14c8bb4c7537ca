// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-fold-constant-layout)' | FileCheck %s

// torch-mlir's BatchNorm checks its statistics with cf.assert inside
// linalg.generic bodies. On constant statistics a condition that holds
// everywhere is decided at compile time.

#id = affine_map<(d0) -> (d0)>

// A result-less generic asserting a condition that holds on a constant is erased.
// CHECK-LABEL: func.func @assertion_holds
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK-NOT: linalg.generic
// CHECK-NOT: cf.assert
// CHECK: return %[[X]] : tensor<4xf32>
func.func @assertion_holds(%x: tensor<4xf32>) -> tensor<4xf32> {
  %zero = arith.constant 0.0 : f32
  %var = arith.constant dense<[1.0, 2.0, 0.5, 4.0]> : tensor<4xf32>
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel"]} ins(%var : tensor<4xf32>) {
  ^bb0(%v: f32):
    %positive = arith.cmpf ogt, %v, %zero : f32
    cf.assert %positive, "running_var must be positive"
    linalg.yield
  }
  return %x : tensor<4xf32>
}

// -----

#id = affine_map<(d0) -> (d0)>

// Must not change: the condition fails on one element, so the check stays
// for the runtime to report.
// CHECK-LABEL: func.func @assertion_fails
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[VAR:.*]] = arith.constant dense<[1.000000e+00, 2.000000e+00, 0.000000e+00, 4.000000e+00]> : tensor<4xf32>
// CHECK: linalg.generic {{.*}} ins(%[[VAR]] : tensor<4xf32>) {
// CHECK-NEXT: ^bb0(%[[V:.*]]: f32):
// CHECK-NEXT: %[[OK:.*]] = arith.cmpf ogt, %[[V]], %[[ZERO]] : f32
// CHECK-NEXT: cf.assert %[[OK]], "running_var must be positive"
// CHECK-NEXT: linalg.yield
// CHECK: return
func.func @assertion_fails(%x: tensor<4xf32>) -> tensor<4xf32> {
  %zero = arith.constant 0.0 : f32
  %var = arith.constant dense<[1.0, 2.0, 0.0, 4.0]> : tensor<4xf32>
  linalg.generic {indexing_maps = [#id], iterator_types = ["parallel"]} ins(%var : tensor<4xf32>) {
  ^bb0(%v: f32):
    %positive = arith.cmpf ogt, %v, %zero : f32
    cf.assert %positive, "running_var must be positive"
    linalg.yield
  }
  return %x : tensor<4xf32>
}

// -----

#id = affine_map<(d0) -> (d0)>

// A generic with a result: the assertion on its constant operand (and the
// compare feeding it) leaves the body; the computation on the runtime
// operand stays.
// CHECK-LABEL: func.func @assertion_in_computation
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK: %[[D:.*]] = arith.constant dense<[1.000000e+00, 2.000000e+00, 5.000000e-01, 4.000000e+00]> : tensor<4xf32>
// CHECK: %[[R:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[D]] : tensor<4xf32>, tensor<4xf32>)
// CHECK-NEXT: ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: %[[Q:.*]] = arith.divf %[[A]], %[[B]] : f32
// CHECK-NEXT: linalg.yield %[[Q]] : f32
// CHECK-NEXT: } -> tensor<4xf32>
// CHECK-NOT: cf.assert
// CHECK: return %[[R]] : tensor<4xf32>
func.func @assertion_in_computation(%x: tensor<4xf32>) -> tensor<4xf32> {
  %zero = arith.constant 0.0 : f32
  %d = arith.constant dense<[1.0, 2.0, 0.5, 4.0]> : tensor<4xf32>
  %e = tensor.empty() : tensor<4xf32>
  %r = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]}
      ins(%x, %d : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %nonzero = arith.cmpf one, %b, %zero : f32
    cf.assert %nonzero, "division by zero"
    %q = arith.divf %a, %b : f32
    linalg.yield %q : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

#id = affine_map<(d0) -> (d0)>

// Must not change: an assertion that depends on the runtime operand.
// CHECK-LABEL: func.func @assertion_on_runtime_value
// CHECK: linalg.generic
// CHECK: arith.cmpf one
// CHECK-NEXT: cf.assert
// CHECK-NEXT: arith.divf
func.func @assertion_on_runtime_value(%x: tensor<4xf32>) -> tensor<4xf32> {
  %zero = arith.constant 0.0 : f32
  %d = arith.constant dense<[1.0, 2.0, 0.5, 4.0]> : tensor<4xf32>
  %e = tensor.empty() : tensor<4xf32>
  %r = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel"]}
      ins(%x, %d : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %nonzero = arith.cmpf one, %a, %zero : f32
    cf.assert %nonzero, "division by zero"
    %q = arith.divf %b, %a : f32
    linalg.yield %q : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

#bias = affine_map<(d0, d1, d2, d3) -> (d3)>
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>

// Must not change: a broadcast of a small constant to a much larger tensor
// (64 values to 65536) is cheaper to compute than to read as a constant.
// CHECK-LABEL: func.func @large_broadcast
// CHECK: %[[B:.*]] = arith.constant dense<5.000000e-01> : tensor<64xf32>
// CHECK-NOT: arith.constant {{.*}} : tensor<1x32x32x64xf32>
// CHECK: %[[R:.*]] = linalg.generic {{.*}} ins(%[[B]] : tensor<64xf32>) outs(%{{.*}} : tensor<1x32x32x64xf32>)
// CHECK: return %[[R]] : tensor<1x32x32x64xf32>
func.func @large_broadcast() -> tensor<1x32x32x64xf32> {
  %b = arith.constant dense<0.5> : tensor<64xf32>
  %e = tensor.empty() : tensor<1x32x32x64xf32>
  %r = linalg.generic {indexing_maps = [#bias, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%b : tensor<64xf32>) outs(%e : tensor<1x32x32x64xf32>) {
  ^bb0(%v: f32, %o: f32):
    linalg.yield %v : f32
  } -> tensor<1x32x32x64xf32>
  return %r : tensor<1x32x32x64xf32>
}
