// RUN: kiln-opt %s --pass-pipeline='builtin.module(kiln-expand-powi)' | FileCheck %s

// A small constant exponent becomes a square-and-multiply chain.
// CHECK-LABEL: func.func @cube
// CHECK-SAME: (%[[X:.*]]: f32)
// CHECK-NOT: math.fpowi
// CHECK: %[[X2:.*]] = arith.mulf %[[X]], %[[X]] : f32
// CHECK: %[[X3:.*]] = arith.mulf %[[X]], %[[X2]] : f32
// CHECK: return %[[X3]]
func.func @cube(%x: f32) -> f32 {
  %c = arith.constant 3 : i64
  %r = math.fpowi %x, %c : f32, i64
  return %r : f32
}

// A negative splat exponent on a vector: 1 / (x * x).
// CHECK-LABEL: func.func @inverse_square
// CHECK-SAME: (%[[X:.*]]: vector<8xf32>)
// CHECK-DAG: %[[ONE:.*]] = arith.constant dense<1.000000e+00> : vector<8xf32>
// CHECK-DAG: %[[SQ:.*]] = arith.mulf %[[X]], %[[X]] : vector<8xf32>
// CHECK: %[[R:.*]] = arith.divf %[[ONE]], %[[SQ]] : vector<8xf32>
// CHECK: return %[[R]]
func.func @inverse_square(%x: vector<8xf32>) -> vector<8xf32> {
  %c = arith.constant dense<-2> : vector<8xi64>
  %r = math.fpowi %x, %c : vector<8xf32>, vector<8xi64>
  return %r : vector<8xf32>
}

// x ** 0 is 1 (as in PyTorch, also for NaN and 0).
// CHECK-LABEL: func.func @zeroth
// CHECK: %[[ONE:.*]] = arith.constant 1.000000e+00 : f32
// CHECK: return %[[ONE]]
func.func @zeroth(%x: f32) -> f32 {
  %c = arith.constant 0 : i64
  %r = math.fpowi %x, %c : f32, i64
  return %r : f32
}

// An unknown exponent goes through powf.
// CHECK-LABEL: func.func @unknown
// CHECK-SAME: (%[[X:.*]]: f32, %[[N:.*]]: i64)
// CHECK: %[[F:.*]] = arith.sitofp %[[N]] : i64 to f32
// CHECK: %[[R:.*]] = math.powf %[[X]], %[[F]] : f32
// CHECK: return %[[R]]
func.func @unknown(%x: f32, %n: i64) -> f32 {
  %r = math.fpowi %x, %n : f32, i64
  return %r : f32
}
