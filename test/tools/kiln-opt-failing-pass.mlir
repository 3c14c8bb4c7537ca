// MLIR's diagnostics do not say which pass emitted them: kiln-opt names the failing
// upstream pass of a pipeline in a note (kiln passes name themselves in their errors).
// RUN: not kiln-opt %s --pass-pipeline='builtin.module(canonicalize, one-shot-bufferize{bufferize-function-boundaries}, cse)' 2>&1 | FileCheck %s
// RUN: not kiln-opt %s --pass-pipeline='builtin.module(one-shot-bufferize{bufferize-function-boundaries})' 2>&1 | FileCheck %s --check-prefix=ONE

// CHECK: kiln-opt-failing-pass.mlir:[[# @LINE + 9]]:8: error: sparse_tensor ops must be bufferized with the sparsifier
// CHECK: kiln-opt-failing-pass.mlir: note: the failing pass is 'one-shot-bufferize{bufferize-function-boundaries}'

// A one-pass pipeline names its pass already: no note.
// ONE: error: sparse_tensor ops must be bufferized with the sparsifier
// ONE-NOT: the failing pass

#CSR = #sparse_tensor.encoding<{ map = (d0, d1) -> (d0 : dense, d1 : compressed) }>
func.func @f(%a: tensor<8x8xf32>) -> tensor<8x8xf32, #CSR> {
  %s = sparse_tensor.convert %a : tensor<8x8xf32> to tensor<8x8xf32, #CSR>
  return %s : tensor<8x8xf32, #CSR>
}
