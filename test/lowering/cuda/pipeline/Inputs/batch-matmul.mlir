// A batch matmul (attention's q @ k^T in half precision): 12 batches of 256x64 @ 64x256.
func.func @bmm(%a: tensor<12x256x64xf16>, %b: tensor<12x64x256xf16>) -> tensor<12x256x256xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<12x256x256xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<12x256x256xf32>) -> tensor<12x256x256xf32>
  %r = linalg.batch_matmul ins(%a, %b : tensor<12x256x64xf16>, tensor<12x64x256xf16>) outs(%c : tensor<12x256x256xf32>) -> tensor<12x256x256xf32>
  return %r : tensor<12x256x256xf32>
}
