// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-specialize-contractions)' | FileCheck %s

// A Linear as torch-mlir writes it for f16 inputs (the extension in the body):
// a mixed-precision linalg.matmul; a batched one (attention): linalg.batch_matmul.
// CHECK-LABEL: func.func @contractions
// CHECK-SAME: (%[[A:.*]]: tensor<16x32xf16>, %[[B:.*]]: tensor<32x8xf16>, %[[C:.*]]: tensor<16x8xf32>, %[[Q:.*]]: tensor<4x16x32xf32>, %[[K:.*]]: tensor<4x32x16xf32>, %[[S:.*]]: tensor<4x16x16xf32>)
// CHECK: linalg.matmul ins(%[[A]], %[[B]] : tensor<16x32xf16>, tensor<32x8xf16>) outs(%[[C]] : tensor<16x8xf32>)
// CHECK: linalg.batch_matmul ins(%[[Q]], %[[K]] : tensor<4x16x32xf32>, tensor<4x32x16xf32>) outs(%[[S]] : tensor<4x16x16xf32>)
// CHECK-NOT: linalg.generic
#a = affine_map<(i, j, k) -> (i, k)>
#b = affine_map<(i, j, k) -> (k, j)>
#c = affine_map<(i, j, k) -> (i, j)>
#qa = affine_map<(n, i, j, k) -> (n, i, k)>
#qb = affine_map<(n, i, j, k) -> (n, k, j)>
#qc = affine_map<(n, i, j, k) -> (n, i, j)>
func.func @contractions(%a: tensor<16x32xf16>, %b: tensor<32x8xf16>, %c: tensor<16x8xf32>,
                        %q: tensor<4x16x32xf32>, %k: tensor<4x32x16xf32>, %s: tensor<4x16x16xf32>)
    -> (tensor<16x8xf32>, tensor<4x16x16xf32>) {
  %r = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<16x32xf16>, tensor<32x8xf16>) outs(%c : tensor<16x8xf32>) {
  ^bb0(%x: f16, %y: f16, %acc: f32):
    %xf = arith.extf %x : f16 to f32
    %yf = arith.extf %y : f16 to f32
    %p = arith.mulf %xf, %yf : f32
    %t = arith.addf %acc, %p : f32
    linalg.yield %t : f32
  } -> tensor<16x8xf32>
  %r2 = linalg.generic {indexing_maps = [#qa, #qb, #qc], iterator_types = ["parallel", "parallel", "parallel", "reduction"]}
      ins(%q, %k : tensor<4x16x32xf32>, tensor<4x32x16xf32>) outs(%s : tensor<4x16x16xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %t = arith.addf %p, %acc : f32
    linalg.yield %t : f32
  } -> tensor<4x16x16xf32>
  return %r, %r2 : tensor<16x8xf32>, tensor<4x16x16xf32>
}

// -----

// Kept: B read transposed (the schedules want the default maps), a body that does more
// than multiply-add, and a broadcast (upstream's specialization would make it a
// linalg.broadcast that elementwise fusion no longer takes).
// CHECK-LABEL: func.func @kept
// CHECK-COUNT-3: linalg.generic
// CHECK-NOT: linalg.matmul
// CHECK-NOT: linalg.broadcast
#a = affine_map<(i, j, k) -> (i, k)>
#bt = affine_map<(i, j, k) -> (j, k)>
#b = affine_map<(i, j, k) -> (k, j)>
#c = affine_map<(i, j, k) -> (i, j)>
#row = affine_map<(i, j) -> (j)>
#id = affine_map<(i, j) -> (i, j)>
func.func @kept(%a: tensor<16x32xf32>, %bt: tensor<8x32xf32>, %b: tensor<32x8xf32>, %c: tensor<16x8xf32>, %v: tensor<8xf32>)
    -> (tensor<16x8xf32>, tensor<16x8xf32>, tensor<16x8xf32>) {
  %r = linalg.generic {indexing_maps = [#a, #bt, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %bt : tensor<16x32xf32>, tensor<8x32xf32>) outs(%c : tensor<16x8xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %t = arith.addf %acc, %p : f32
    linalg.yield %t : f32
  } -> tensor<16x8xf32>
  %r2 = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<16x32xf32>, tensor<32x8xf32>) outs(%c : tensor<16x8xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %t = arith.addf %acc, %p : f32
    %m = arith.maximumf %t, %acc : f32
    linalg.yield %m : f32
  } -> tensor<16x8xf32>
  %r3 = linalg.generic {indexing_maps = [#row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%v : tensor<8xf32>) outs(%c : tensor<16x8xf32>) {
  ^bb0(%x: f32, %o: f32):
    linalg.yield %x : f32
  } -> tensor<16x8xf32>
  return %r, %r2, %r3 : tensor<16x8xf32>, tensor<16x8xf32>, tensor<16x8xf32>
}
