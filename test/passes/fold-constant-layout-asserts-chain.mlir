// RUN: kiln-opt %s --pass-pipeline='builtin.module(kiln-fold-constant-layout)' | FileCheck %s
// Regression (fixed): true assertions are dropped once, before constants are folded, so an
// assertion on an operand that only becomes constant by folding stays, and
// its generic (cf.assert is not an evaluable body op) is not folded. This is
// BatchNorm's 1 / sqrt(var + eps) exactly as torch-mlir emits it; one run
// should reach the fixed point (today it takes a second run of the pass).

#id = affine_map<(d0) -> (d0)>

// CHECK-LABEL: func.func @reciprocal_std
// CHECK-NOT: linalg.generic
// CHECK-NOT: cf.assert
// CHECK: %[[R:.*]] = arith.constant dense<0.999994993> : tensor<4xf32>
// CHECK: return %[[R]] : tensor<4xf32>
func.func @reciprocal_std() -> tensor<4xf32> {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %var_eps = arith.constant dense<1.00001> : tensor<4xf32>
  %e = tensor.empty() : tensor<4xf32>
  %std = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%var_eps : tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%v: f32, %o: f32):
    %s = math.sqrt %v : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%std : tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%s: f32, %o: f32):
    %nonzero = arith.cmpf one, %s, %zero : f32
    cf.assert %nonzero, "unimplemented: tensor with zero element"
    %q = arith.divf %one, %s : f32
    linalg.yield %q : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}
