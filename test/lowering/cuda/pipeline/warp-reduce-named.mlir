// A named linalg.reduce over rows runs a warp per row like the generic form (softmax.mlir):
// its maps come from the LinalgOp interface, not an indexing_maps attribute (found by
// the fuzzer: KeyError in kiln-gpu-distribute).
// RUN: kiln-compile %s --emit=gpu | FileCheck %s

// CHECK-LABEL: gpu.func @row_sum
// CHECK-COUNT-5: gpu.shuffle xor
// CHECK-NOT: linalg.reduce
func.func @row_sum(%a: tensor<64x64x64xf32>) -> tensor<64x64xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x64xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<64x64xf32>) -> tensor<64x64xf32>
  %r = linalg.reduce ins(%a : tensor<64x64x64xf32>) outs(%c : tensor<64x64xf32>) dimensions = [2]
    (%x: f32, %acc: f32) {
      %s = arith.addf %x, %acc : f32
      linalg.yield %s : f32
    }
  return %r : tensor<64x64xf32>
}
