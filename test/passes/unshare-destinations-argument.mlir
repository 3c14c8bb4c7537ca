// RUN: kiln-opt %s --pass-pipeline='builtin.module(kiln-unshare-destinations)' | FileCheck %s
// Regression (fixed): _recomputable skips operands that have no defining op, so a generic
// reading a function argument counts as "computed from constants only" and is
// cloned: the exp below runs twice. Block arguments from outside the producer
// must make it non-recomputable.

#id = affine_map<(d0) -> (d0)>

// Must not change: the shared destination reads a function argument.
// CHECK-LABEL: func.func @shared_from_argument
// CHECK-COUNT-1: math.exp
// CHECK-NOT: math.exp
// CHECK: return
func.func @shared_from_argument(%x: tensor<16xf32>, %y: tensor<16xf32>, %z: tensor<16xf32>) -> (tensor<16xf32>, tensor<16xf32>) {
  %e = tensor.empty() : tensor<16xf32>
  %s = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<16xf32>) outs(%e : tensor<16xf32>) {
  ^bb0(%v: f32, %o: f32):
    %n = math.exp %v : f32
    linalg.yield %n : f32
  } -> tensor<16xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%y : tensor<16xf32>) outs(%s : tensor<16xf32>) {
  ^bb0(%v: f32, %o: f32):
    %n = arith.addf %v, %o : f32
    linalg.yield %n : f32
  } -> tensor<16xf32>
  %b = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%z : tensor<16xf32>) outs(%s : tensor<16xf32>) {
  ^bb0(%v: f32, %o: f32):
    %n = arith.mulf %v, %o : f32
    linalg.yield %n : f32
  } -> tensor<16xf32>
  return %a, %b : tensor<16xf32>, tensor<16xf32>
}
