// RUN: kiln-opt %s --kiln-pipeline=cpu --kiln-threads=2 --kiln-vector-width=8 --stop-after=tiled | FileCheck %s

// y = relu(x @ w + b) with 64 output columns: four column strips of nr = 16
// (n1 = 4), more than the two threads. The forall steps over single strips
// (two per thread), and each strip's fill, contraction and epilogue are fused
// into that iteration, so the epilogue runs on a strip while it is in cache.
// CHECK-LABEL: func.func @linear_relu_wide
// CHECK: %[[FORALL:.*]] = scf.forall (%{{.*}}) in (4) shared_outs(%{{.*}}) -> (tensor<2x4x4x16xf32>)
// CHECK: linalg.fill {{{.*}}kiln.vectorize} {{.*}} -> tensor<1x4x1x16xf32>
// CHECK: linalg.generic
// CHECK-SAME: kiln.blocked = array<i64: 4, 16>, {{.*}}kiln.vectorize
// CHECK: linalg.generic
// CHECK-SAME: kiln.epilogue, {{.*}}kiln.vectorize
// CHECK: arith.maximumf
// CHECK: scf.forall.in_parallel
// CHECK: return
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
func.func @linear_relu_wide(%x: tensor<8x16xf32>, %bias: tensor<64xf32>) -> tensor<8x64xf32> {
  %w = arith.constant dense<5.000000e-01> : tensor<16x64xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x64xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<8x64xf32>) -> tensor<8x64xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<8x16xf32>, tensor<16x64xf32>) outs(%acc : tensor<8x64xf32>) -> tensor<8x64xf32>
  %r = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%mm, %bias : tensor<8x64xf32>, tensor<64xf32>) outs(%e : tensor<8x64xf32>) {
  ^bb0(%m: f32, %b: f32, %o: f32):
    %s = arith.addf %m, %b : f32
    %t = arith.maximumf %s, %zero : f32
    linalg.yield %t : f32
  } -> tensor<8x64xf32>
  return %r : tensor<8x64xf32>
}
