// RUN: kiln-opt %s --split-input-file | FileCheck %s

// A fusion group round-trips (generic form) with its attributes and body.
// CHECK-LABEL: func.func @group
// CHECK: %[[R:.*]] = "kiln.fusion_group"() ({
// CHECK:   %[[ADD:.*]] = arith.addf
// CHECK:   "kiln.yield"(%[[ADD]])
// CHECK: }) {anchor = "arith.addf", kind = "elementwise"{{.*}}} : () -> tensor<4xf32>
// CHECK: return %[[R]]
func.func @group(%a: tensor<4xf32>) -> tensor<4xf32> {
  %r = "kiln.fusion_group"() ({
    %0 = arith.addf %a, %a : tensor<4xf32>
    "kiln.yield"(%0) : (tensor<4xf32>) -> ()
  }) {anchor = "arith.addf", kind = "elementwise"} : () -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// CHECK-LABEL: func.func @barrier
// CHECK: %[[B:.*]] = "kiln.fusion_barrier"(%{{.*}}) : (tensor<2x3xf32>) -> tensor<2x3xf32>
// CHECK: return %[[B]]
func.func @barrier(%a: tensor<2x3xf32>) -> tensor<2x3xf32> {
  %b = "kiln.fusion_barrier"(%a) : (tensor<2x3xf32>) -> tensor<2x3xf32>
  return %b : tensor<2x3xf32>
}
