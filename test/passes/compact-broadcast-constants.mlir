// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-compact-broadcast-constants)' | FileCheck %s
// RUN: not kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-compact-broadcast-constants{rank=2})' 2>&1 | FileCheck %s --check-prefix=ERR

// A per-channel constant as torch-mlir broadcasts it (1 x C x 1 x 1, read at
// 0 in H and W) is stored without the dims read at 0; the map keeps d0 and
// d1, a projected permutation. The values are the same; the other operands
// and maps are untouched.
// CHECK-DAG: #[[$ID:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-DAG: #[[$CHAN:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1)>
// CHECK-LABEL: func.func @per_channel
// CHECK: %[[SCALE:.*]] = arith.constant dense<{{\[\[}}1.000000e+00, 2.000000e+00, 3.000000e+00]]> : tensor<1x3xf32>
// CHECK: linalg.generic {indexing_maps = [#[[$ID]], #[[$CHAN]], #[[$ID]]]
// CHECK-SAME: ins(%{{.*}}, %[[SCALE]] : tensor<1x3x4x4xf32>, tensor<1x3xf32>)
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#chan = affine_map<(d0, d1, d2, d3) -> (d0, d1, 0, 0)>
func.func @per_channel(%x: tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32> {
  %scale = arith.constant dense<[[[[1.0]], [[2.0]], [[3.0]]]]> : tensor<1x3x1x1xf32>
  %e = tensor.empty() : tensor<1x3x4x4xf32>
  %r = linalg.generic {indexing_maps = [#id, #chan, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %scale : tensor<1x3x4x4xf32>, tensor<1x3x1x1xf32>) outs(%e : tensor<1x3x4x4xf32>) {
  ^bb0(%v: f32, %s: f32, %o: f32):
    %m = arith.mulf %v, %s : f32
    linalg.yield %m : f32
  } -> tensor<1x3x4x4xf32>
  return %r : tensor<1x3x4x4xf32>
}

// -----

// A splat stays a splat, at its new shape.
// CHECK-LABEL: func.func @splat
// CHECK: %[[ONES:.*]] = arith.constant dense<1.000000e+00> : tensor<3xf32>
// CHECK: ins(%{{.*}}, %[[ONES]] : tensor<1x3x4x4xf32>, tensor<3xf32>)
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#chan = affine_map<(d0, d1, d2, d3) -> (0, d1, 0, 0)>
func.func @splat(%x: tensor<1x3x4x4xf32>) -> tensor<1x3x4x4xf32> {
  %ones = arith.constant dense<1.0> : tensor<1x3x1x1xf32>
  %e = tensor.empty() : tensor<1x3x4x4xf32>
  %r = linalg.generic {indexing_maps = [#id, #chan, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %ones : tensor<1x3x4x4xf32>, tensor<1x3x1x1xf32>) outs(%e : tensor<1x3x4x4xf32>) {
  ^bb0(%v: f32, %s: f32, %o: f32):
    %m = arith.addf %v, %s : f32
    linalg.yield %m : f32
  } -> tensor<1x3x4x4xf32>
  return %r : tensor<1x3x4x4xf32>
}

// -----

// Must not change: a broadcast input that is not a constant (its producer
// would need a reshape), and a constant read through a projected permutation.
// CHECK-LABEL: func.func @not_constant
// CHECK: linalg.generic {indexing_maps = [#{{.*}}, #{{.*}}, #{{.*}}, #{{.*}}]
// CHECK-SAME: ins(%{{.*}}, %{{.*}}, %{{.*}} : tensor<1x3x4x4xf32>, tensor<1x3x1x1xf32>, tensor<3xf32>)
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#chan = affine_map<(d0, d1, d2, d3) -> (d0, d1, 0, 0)>
#vec = affine_map<(d0, d1, d2, d3) -> (d1)>
func.func @not_constant(%x: tensor<1x3x4x4xf32>, %s: tensor<1x3x1x1xf32>) -> tensor<1x3x4x4xf32> {
  %b = arith.constant dense<[1.0, 2.0, 3.0]> : tensor<3xf32>
  %e = tensor.empty() : tensor<1x3x4x4xf32>
  %r = linalg.generic {indexing_maps = [#id, #chan, #vec, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %s, %b : tensor<1x3x4x4xf32>, tensor<1x3x1x1xf32>, tensor<3xf32>) outs(%e : tensor<1x3x4x4xf32>) {
  ^bb0(%v: f32, %t: f32, %u: f32, %o: f32):
    %m = arith.mulf %v, %t : f32
    %a = arith.addf %m, %u : f32
    linalg.yield %a : f32
  } -> tensor<1x3x4x4xf32>
  return %r : tensor<1x3x4x4xf32>
}

// The pass has no options.
// ERR: error: pass 'kiln-compact-broadcast-constants' has no option 'rank'
