// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-pad-to-generic)' | FileCheck %s

// A pad by a value from outside its region becomes one generic over the
// padded shape: an unpadded dimension indexes the source directly; a padded
// one is shifted by its low amount and checked with one unsigned compare.
// CHECK-LABEL: func.func @pad_value
// CHECK-SAME: (%[[X:.*]]: tensor<2x3xf32>)
// CHECK-NOT: tensor.pad
// CHECK: %[[V:.*]] = arith.constant 5.000000e-01 : f32
// CHECK: %[[E:.*]] = tensor.empty() : tensor<2x5xf32>
// CHECK: linalg.generic {{{.*}}iterator_types = ["parallel", "parallel"]} outs(%[[E]] : tensor<2x5xf32>)
// CHECK-DAG: %[[I:.*]] = linalg.index 0 : index
// CHECK-DAG: %[[J:.*]] = linalg.index 1 : index
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK: %[[JJ:.*]] = arith.subi %[[J]], %[[C1]] : index
// CHECK: %[[C3:.*]] = arith.constant 3 : index
// CHECK: %[[IN:.*]] = arith.cmpi ult, %[[JJ]], %[[C3]] : index
// CHECK: %[[SAFE:.*]] = arith.select %[[IN]], %[[JJ]], %{{.*}} : index
// CHECK: %[[X0:.*]] = tensor.extract %[[X]][%[[I]], %[[SAFE]]] : tensor<2x3xf32>
// CHECK: %[[R:.*]] = arith.select %[[IN]], %[[X0]], %[[V]] : f32
// CHECK: linalg.yield %[[R]] : f32
func.func @pad_value(%x: tensor<2x3xf32>) -> tensor<2x5xf32> {
  %v = arith.constant 0.5 : f32
  %p = tensor.pad %x low[0, 1] high[0, 1] {
  ^bb0(%i: index, %j: index):
    tensor.yield %v : f32
  } : tensor<2x3xf32> to tensor<2x5xf32>
  return %p : tensor<2x5xf32>
}

// -----

// Two padded dimensions: both must be in bounds.
// CHECK-LABEL: func.func @two_dims
// CHECK: %[[A:.*]] = arith.cmpi ult
// CHECK: %[[B:.*]] = arith.cmpi ult
// CHECK: %[[BOTH:.*]] = arith.andi %[[A]], %[[B]] : i1
// CHECK: arith.select %[[BOTH]]
func.func @two_dims(%x: tensor<1x2x3x3xf32>) -> tensor<1x2x5x6xf32> {
  %v = arith.constant 0.0 : f32
  %p = tensor.pad %x low[0, 0, 1, 2] high[0, 0, 1, 1] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %v : f32
  } : tensor<1x2x3x3xf32> to tensor<1x2x5x6xf32>
  return %p : tensor<1x2x5x6xf32>
}

// -----

// A pad whose value depends on the index, or with dynamic sizes, stays.
// CHECK-LABEL: func.func @index_dependent
// CHECK: tensor.pad
// CHECK-LABEL: func.func @dynamic
// CHECK: tensor.pad
func.func @index_dependent(%x: tensor<3xf32>) -> tensor<5xf32> {
  %p = tensor.pad %x low[1] high[1] {
  ^bb0(%i: index):
    %c = arith.index_cast %i : index to i32
    %f = arith.sitofp %c : i32 to f32
    tensor.yield %f : f32
  } : tensor<3xf32> to tensor<5xf32>
  return %p : tensor<5xf32>
}
func.func @dynamic(%x: tensor<?xf32>) -> tensor<?xf32> {
  %v = arith.constant 0.0 : f32
  %p = tensor.pad %x low[1] high[1] {
  ^bb0(%i: index):
    tensor.yield %v : f32
  } : tensor<?xf32> to tensor<?xf32>
  return %p : tensor<?xf32>
}
