// Bug: kiln-fuse-elementwise guards only contractions that analyze_contraction
// accepts (static shapes, f32), so an elementwise producer is fused into a
// dynamically shaped multiply-accumulate generic, breaking its mulf/addf body.
// The post-condition says contractions (named or generic) are untouched.
// RUN: kiln-opt %s --pass-pipeline='builtin.module(kiln-fuse-elementwise)' | FileCheck %s

#id = affine_map<(d0, d1) -> (d0, d1)>

// CHECK-LABEL: func.func @producer_of_dynamic_contraction
// CHECK: %[[NEG:.*]] = linalg.generic
// CHECK: arith.negf
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[NEG]], %{{.*}} : tensor<?x16xf32>, tensor<16x8xf32>)
// CHECK-NEXT: ^bb0(
// CHECK-NEXT: arith.mulf
// CHECK-NEXT: arith.addf
// CHECK-NEXT: linalg.yield
func.func @producer_of_dynamic_contraction(%x: tensor<?x16xf32>, %w: tensor<16x8xf32>, %c: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %c0 = arith.constant 0 : index
  %d = tensor.dim %x, %c0 : tensor<?x16xf32>
  %e = tensor.empty(%d) : tensor<?x16xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<?x16xf32>) outs(%e : tensor<?x16xf32>) {
  ^bb0(%p: f32, %o: f32):
    %n = arith.negf %p : f32
    linalg.yield %n : f32
  } -> tensor<?x16xf32>
  %m = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<?x16xf32>, tensor<16x8xf32>) outs(%c : tensor<?x8xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %t = arith.mulf %p, %q : f32
    %s = arith.addf %o, %t : f32
    linalg.yield %s : f32
  } -> tensor<?x8xf32>
  return %m : tensor<?x8xf32>
}
