// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-split-long-reductions)' | FileCheck %s
// RUN: not kiln-opt %s --pass-pipeline='builtin.module(kiln-split-long-reductions{threshold=100})' 2>&1 | FileCheck %s --check-prefix=ERR

// ERR: threshold (100) must be >= block (4096)

// A 4M-element f32 sum: partial sums over blocks of 3200 (a divisor, a multiple of 64),
// then the sum of the 1250 partials, then the init added once.
// CHECK-LABEL: func.func @long_sum
// CHECK-SAME: (%[[X:.*]]: tensor<4000000xf32>)
// CHECK: %[[BLOCKS:.*]] = tensor.expand_shape %[[X]] {{\[\[}}0, 1]] output_shape [1250, 3200]
// CHECK: %[[PARTIAL:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]} ins(%[[BLOCKS]] : tensor<1250x3200xf32>) outs(%{{.*}} : tensor<1250xf32>)
// CHECK: %[[TOTAL:.*]] = linalg.generic {{.*}}iterator_types = ["reduction"]} ins(%[[PARTIAL]] : tensor<1250xf32>) outs(%{{.*}} : tensor<f32>)
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}}iterator_types = []} ins(%{{.*}}, %[[TOTAL]] : tensor<f32>, tensor<f32>)
// CHECK: return %[[SUM]]
func.func @long_sum(%x: tensor<4000000xf32>) -> tensor<f32> {
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<f32>
  %i = linalg.fill ins(%cst : f32) outs(%e : tensor<f32>) -> tensor<f32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>], iterator_types = ["reduction"]} ins(%x : tensor<4000000xf32>) outs(%i : tensor<f32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %out : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  return %r : tensor<f32>
}

// -----

// A prime length (10007) of f16 squares: blocks of 4096 read the first 8192 elements,
// a remainder block the last 1815; all partial sums in f32, rounded to f16 once.
// CHECK-LABEL: func.func @prime_length_f16
// CHECK-SAME: (%[[X:.*]]: tensor<2x10007xf16>)
// CHECK: %[[HEAD:.*]] = tensor.extract_slice %[[X]][0, 0] [2, 8192] [1, 1]
// CHECK: tensor.expand_shape %[[HEAD]] {{.*}} output_shape [2, 2, 4096]
// CHECK: %[[TAIL:.*]] = tensor.extract_slice %[[X]][0, 8192] [2, 1815] [1, 1]
// CHECK: ^bb0(%{{.*}}: f16, %[[ACC:.*]]: f32):
// CHECK:   %[[SQ:.*]] = arith.mulf
// CHECK:   %[[WIDE:.*]] = arith.extf %[[SQ]] : f16 to f32
// CHECK:   arith.addf %[[WIDE]], %[[ACC]] : f32
// CHECK: } -> tensor<2x2xf32>
// CHECK: } -> tensor<2xf32>
// CHECK: ins(%[[TAIL]] : tensor<2x1815xf16>) outs(%{{.*}} : tensor<2xf32>)
// CHECK: arith.truncf %{{.*}} : f32 to f16
func.func @prime_length_f16(%x: tensor<2x10007xf16>) -> tensor<2xf16> {
  %cst = arith.constant 0.0 : f16
  %e = tensor.empty() : tensor<2xf16>
  %i = linalg.fill ins(%cst : f16) outs(%e : tensor<2xf16>) -> tensor<2xf16>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]} ins(%x : tensor<2x10007xf16>) outs(%i : tensor<2xf16>) {
  ^bb0(%in: f16, %out: f16):
    %m = arith.mulf %in, %in : f16
    %s = arith.addf %out, %m : f16
    linalg.yield %s : f16
  } -> tensor<2xf16>
  return %r : tensor<2xf16>
}

// -----

// Unchanged: a short sum (4096 elements), a long max, a long integer sum.
// CHECK-LABEL: func.func @unchanged
// CHECK-NOT: tensor.expand_shape
// CHECK-COUNT-3: linalg.generic
// CHECK-NOT: linalg.generic
func.func @unchanged(%s: tensor<4096xf32>, %l: tensor<1000000xf32>, %n: tensor<1000000xi32>) -> (tensor<f32>, tensor<f32>, tensor<i32>) {
  %cst = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : i32
  %e = tensor.empty() : tensor<f32>
  %i = linalg.fill ins(%cst : f32) outs(%e : tensor<f32>) -> tensor<f32>
  %ei = tensor.empty() : tensor<i32>
  %ii = linalg.fill ins(%c0 : i32) outs(%ei : tensor<i32>) -> tensor<i32>
  %a = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>], iterator_types = ["reduction"]} ins(%s : tensor<4096xf32>) outs(%i : tensor<f32>) {
  ^bb0(%in: f32, %out: f32):
    %v = arith.addf %in, %out : f32
    linalg.yield %v : f32
  } -> tensor<f32>
  %b = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>], iterator_types = ["reduction"]} ins(%l : tensor<1000000xf32>) outs(%i : tensor<f32>) {
  ^bb0(%in: f32, %out: f32):
    %v = arith.maximumf %in, %out : f32
    linalg.yield %v : f32
  } -> tensor<f32>
  %c = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>], iterator_types = ["reduction"]} ins(%n : tensor<1000000xi32>) outs(%ii : tensor<i32>) {
  ^bb0(%in: i32, %out: i32):
    %v = arith.addi %in, %out : i32
    linalg.yield %v : i32
  } -> tensor<i32>
  return %a, %b, %c : tensor<f32>, tensor<f32>, tensor<i32>
}
