// Malformed IR: an error at the file's own line and column, non-zero exit,
// and no traceback.
// RUN: not kiln-opt %s 2>&1 | FileCheck %s
// RUN: not kiln-opt %s --pass-pipeline='builtin.module(canonicalize)' 2>&1 | FileCheck %s

// CHECK: kiln-opt-parse-error.mlir:[[# @LINE + 4]]:23: error: use of undeclared SSA value name
// CHECK-NOT: Traceback
// CHECK-NOT: module
func.func @f(%a: tensor<4xf32>) -> tensor<4xf32> {
  %0 = arith.addf %a, %b : tensor<4xf32>
  return %0 : tensor<4xf32>
}
