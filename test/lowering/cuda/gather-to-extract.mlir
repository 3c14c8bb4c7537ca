// kiln-gather-to-extract: a copy through a floordiv/mod indexing map (im2col's gather) becomes
// a generic with only an output, reading its input with tensor.extract at indices that
// affine.apply computes from linalg.index: the same values, and an op tiling can cut.
// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-gather-to-extract)' | FileCheck %s

// CHECK-LABEL: func.func @im2col_gather
// CHECK-SAME: (%[[X:.*]]: tensor<4x10x10xf32>)
// CHECK: %[[EMPTY:.*]] = tensor.empty() : tensor<36x64xf32>
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel"]
// CHECK-SAME: outs(%[[EMPTY]] : tensor<36x64xf32>)
// CHECK-DAG: %[[I:.*]] = linalg.index 0 : index
// CHECK-DAG: %[[J:.*]] = linalg.index 1 : index
// CHECK-DAG: %[[C:.*]] = affine.apply #{{.*}}(%[[I]], %[[J]])
// CHECK-DAG: %[[H:.*]] = affine.apply #{{.*}}(%[[I]], %[[J]])
// CHECK-DAG: %[[W:.*]] = affine.apply #{{.*}}(%[[I]], %[[J]])
// CHECK: %[[V:.*]] = tensor.extract %[[X]][%[[C]], %[[H]], %[[W]]] : tensor<4x10x10xf32>
// CHECK: linalg.yield %[[V]] : f32
// CHECK-NOT: ins(
func.func @im2col_gather(%x: tensor<4x10x10xf32>) -> tensor<36x64xf32> {
  %e = tensor.empty() : tensor<36x64xf32>
  %r = linalg.generic {
      indexing_maps = [affine_map<(d0, d1) -> (d0 floordiv 9, d1 floordiv 8 + (d0 mod 9) floordiv 3, d1 mod 8 + d0 mod 3)>,
                       affine_map<(d0, d1) -> (d0, d1)>],
      iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x10x10xf32>) outs(%e : tensor<36x64xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<36x64xf32>
  return %r : tensor<36x64xf32>
}

// -----

// Only gathers change: an affine (transposing) copy, a semi-affine read that computes, and a
// semi-affine copy into a transposed output keep their ins.
// CHECK-LABEL: func.func @not_gathers
// CHECK-NOT: tensor.extract
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<8x4xf32>) outs(%{{.*}} : tensor<4x8xf32>)
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<4x8xf32>) outs(%{{.*}} : tensor<8x4xf32>)
// CHECK: arith.negf
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<4x8xf32>) outs(%{{.*}} : tensor<4x8xf32>)
// CHECK-NOT: tensor.extract
func.func @not_gathers(%x: tensor<8x4xf32>, %y: tensor<4x8xf32>)
    -> (tensor<4x8xf32>, tensor<8x4xf32>, tensor<4x8xf32>) {
  %e0 = tensor.empty() : tensor<4x8xf32>
  %t = linalg.generic {
      indexing_maps = [affine_map<(d0, d1) -> (d1, d0)>, affine_map<(d0, d1) -> (d0, d1)>],
      iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<8x4xf32>) outs(%e0 : tensor<4x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<4x8xf32>
  %e1 = tensor.empty() : tensor<8x4xf32>
  %n = linalg.generic {
      indexing_maps = [affine_map<(d0, d1) -> (d0 floordiv 2, d1 * 2 + d0 mod 2)>, affine_map<(d0, d1) -> (d0, d1)>],
      iterator_types = ["parallel", "parallel"]}
      ins(%y : tensor<4x8xf32>) outs(%e1 : tensor<8x4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %neg = arith.negf %in : f32
    linalg.yield %neg : f32
  } -> tensor<8x4xf32>
  %e2 = tensor.empty() : tensor<4x8xf32>
  %o = linalg.generic {
      indexing_maps = [affine_map<(d0, d1) -> (d0 floordiv 2, d1 * 2 + d0 mod 2)>, affine_map<(d0, d1) -> (d1, d0)>],
      iterator_types = ["parallel", "parallel"]}
      ins(%y : tensor<4x8xf32>) outs(%e2 : tensor<4x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    linalg.yield %in : f32
  } -> tensor<4x8xf32>
  return %t, %n, %o : tensor<4x8xf32>, tensor<8x4xf32>, tensor<4x8xf32>
}
