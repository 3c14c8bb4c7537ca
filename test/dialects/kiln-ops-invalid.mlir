// RUN: not kiln-opt %s --split-input-file 2>&1 | FileCheck %s

// CHECK: kiln-ops-invalid.mlir:[[# @LINE + 2]]:{{[0-9]+}}: error: 'kiln.fusion_group' kind must be one of contraction, convolution, depthwise, grouped, int8_conv, elementwise, got 'fused'
func.func @bad_kind(%a: tensor<4xf32>) -> tensor<4xf32> {
  %r = "kiln.fusion_group"() ({
    %0 = arith.addf %a, %a : tensor<4xf32>
    "kiln.yield"(%0) : (tensor<4xf32>) -> ()
  }) {anchor = "arith.addf", kind = "fused"} : () -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// CHECK: kiln-ops-invalid.mlir:[[# @LINE + 2]]:{{[0-9]+}}: error: 'kiln.fusion_group' anchor 'linalg.matmul' is not an op of the group body
func.func @missing_anchor(%a: tensor<4xf32>) -> tensor<4xf32> {
  %r = "kiln.fusion_group"() ({
    %0 = arith.addf %a, %a : tensor<4xf32>
    "kiln.yield"(%0) : (tensor<4xf32>) -> ()
  }) {anchor = "linalg.matmul", kind = "contraction"} : () -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// CHECK: kiln-ops-invalid.mlir:[[# @LINE + 2]]:{{[0-9]+}}: error: 'kiln.fusion_group' yields 1 value(s) of types (tensor<4xf32>) but the group has result types (tensor<8xf32>)
func.func @type_mismatch(%a: tensor<4xf32>) -> tensor<8xf32> {
  %r = "kiln.fusion_group"() ({
    %0 = arith.addf %a, %a : tensor<4xf32>
    "kiln.yield"(%0) : (tensor<4xf32>) -> ()
  }) {anchor = "arith.addf", kind = "elementwise"} : () -> tensor<8xf32>
  return %r : tensor<8xf32>
}

// -----

// kiln.yield is a terminator: MLIR rejects it anywhere but at the end of a block.
// CHECK: kiln-ops-invalid.mlir:[[# @LINE + 2]]:{{[0-9]+}}: error: 'kiln.yield' op must be the last operation in the parent block
func.func @stray_yield(%a: tensor<4xf32>) {
  "kiln.yield"(%a) : (tensor<4xf32>) -> ()
  return
}

// -----

// CHECK: kiln-ops-invalid.mlir:[[# @LINE + 2]]:{{[0-9]+}}: error: 'kiln.fusion_barrier' result type tensor<3xf32> must equal its operand type tensor<4xf32>
func.func @barrier_type(%a: tensor<4xf32>) -> tensor<3xf32> {
  %b = "kiln.fusion_barrier"(%a) : (tensor<4xf32>) -> tensor<3xf32>
  return %b : tensor<3xf32>
}
