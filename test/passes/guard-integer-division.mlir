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

// Must not change: a non-zero constant divisor of a size, and of data.
// CHECK-LABEL: func.func @unchanged
// CHECK-NOT: arith.select
// CHECK: arith.divsi %{{.*}}, %{{.*}} : index
// CHECK: arith.floordivsi %{{.*}}, %{{.*}} : i64
// CHECK-NOT: arith.select
// CHECK: return
func.func @unchanged(%n: index, %a: tensor<4xi64>) -> (index, tensor<4xi64>) {
  %c4 = arith.constant 4 : index
  %q = arith.divsi %n, %c4 : index
  %e = tensor.empty() : tensor<4xi64>
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
      ins(%a : tensor<4xi64>) outs(%e : tensor<4xi64>) {
  ^bb0(%x: i64, %o: i64):
    %c3 = arith.constant 3 : i64
    %f = arith.floordivsi %x, %c3 : i64
    linalg.yield %f : i64
  } -> tensor<4xi64>
  return %q, %r : index, tensor<4xi64>
}

// Data in a linalg body (a // b on int tensors): a zero divisor gives 0, numpy's answer
// (x86 traps: SIGFPE killed the process), and INT_MIN // -1 divides by 1.
// CHECK-LABEL: func.func @data
// CHECK: ^bb0(%[[X:.*]]: i32, %[[Y:.*]]: i32, %{{.*}}: i32):
// CHECK: %[[ZERO:.*]] = arith.constant 0 : i32
// CHECK: %[[IS_ZERO:.*]] = arith.cmpi eq, %[[Y]], %[[ZERO]] : i32
// CHECK: %[[MIN:.*]] = arith.constant -2147483648 : i32
// CHECK: %[[X_MIN:.*]] = arith.cmpi eq, %[[X]], %[[MIN]] : i32
// CHECK: %[[M1:.*]] = arith.constant -1 : i32
// CHECK: %[[Y_M1:.*]] = arith.cmpi eq, %[[Y]], %[[M1]] : i32
// CHECK: %[[OVERFLOW:.*]] = arith.andi %[[X_MIN]], %[[Y_M1]] : i1
// CHECK: %[[BY_ONE:.*]] = arith.ori %[[IS_ZERO]], %[[OVERFLOW]] : i1
// CHECK: %[[ONE:.*]] = arith.constant 1 : i32
// CHECK: %[[SAFE:.*]] = arith.select %[[BY_ONE]], %[[ONE]], %[[Y]] : i32
// CHECK: %[[Q:.*]] = arith.floordivsi %[[X]], %[[SAFE]] : i32
// CHECK: %[[R:.*]] = arith.select %[[IS_ZERO]], %[[ZERO]], %[[Q]] : i32
// CHECK: linalg.yield %[[R]] : i32
func.func @data(%a: tensor<4xi32>, %b: tensor<4xi32>) -> tensor<4xi32> {
  %e = tensor.empty() : tensor<4xi32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
      ins(%a, %b : tensor<4xi32>, tensor<4xi32>) outs(%e : tensor<4xi32>) {
  ^bb0(%x: i32, %y: i32, %o: i32):
    %f = arith.floordivsi %x, %y : i32
    linalg.yield %f : i32
  } -> tensor<4xi32>
  return %r : tensor<4xi32>
}

// Unsigned remainder in a body: no overflow to guard, only the zero divisor.
// CHECK-LABEL: func.func @data_unsigned
// CHECK: arith.cmpi eq
// CHECK-NOT: arith.andi
// CHECK: %[[SAFE:.*]] = arith.select
// CHECK: %[[R:.*]] = arith.remui %{{.*}}, %[[SAFE]] : i8
// CHECK: arith.select %{{.*}}, %{{.*}}, %[[R]] : i8
func.func @data_unsigned(%a: tensor<4xi8>, %b: tensor<4xi8>) -> tensor<4xi8> {
  %e = tensor.empty() : tensor<4xi8>
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
      ins(%a, %b : tensor<4xi8>, tensor<4xi8>) outs(%e : tensor<4xi8>) {
  ^bb0(%x: i8, %y: i8, %o: i8):
    %f = arith.remui %x, %y : i8
    linalg.yield %f : i8
  } -> tensor<4xi8>
  return %r : tensor<4xi8>
}
