// Bug: kiln-fold-constant-layout does not evaluate an elementwise generic whose
// body uses a scalar constant defined outside the body (captured), which is how
// torch-mlir emits `x + eps` and how linalg-fuse-elementwise-ops rewrites splat
// operands; so BatchNorm's w / sqrt(var + eps) is not folded in the cpu pipeline.
// RUN: kiln-opt %s --pass-pipeline='builtin.module(kiln-fold-constant-layout)' | FileCheck %s

// CHECK-LABEL: func.func @captured_eps
// CHECK-NOT: linalg.generic
// CHECK: %[[S:.*]] = arith.constant dense<[5.000000e-01, 0.666666686, 7.500000e-01, 8.000000e-01]> : tensor<4xf32>
// CHECK: return %[[S]] : tensor<4xf32>
func.func @captured_eps() -> tensor<4xf32> {
  %v = arith.constant dense<[3.0, 8.0, 15.0, 24.0]> : tensor<4xf32>
  %w = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %eps = arith.constant 1.0 : f32
  %e = tensor.empty() : tensor<4xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
      ins(%v, %w : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %eps : f32
    %q = math.sqrt %s : f32
    %d = arith.divf %b, %q : f32
    linalg.yield %d : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}
