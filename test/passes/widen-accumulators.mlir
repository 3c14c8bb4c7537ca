// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-widen-accumulators)' | FileCheck %s

// A bf16 row sum accumulates in f32 (its zero fill rebuilt in f32) and rounds once.
// CHECK-LABEL: func.func @row_sum
// CHECK-SAME: (%[[X:.*]]: tensor<4x64xbf16>)
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[INIT:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%{{.*}} : tensor<4xf32>)
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}}iterator_types = ["parallel", "reduction"]{{.*}} ins(%[[X]] : tensor<4x64xbf16>) outs(%[[INIT]] : tensor<4xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: bf16, %[[ACC:.*]]: f32):
// CHECK-NEXT: %[[WIDE:.*]] = arith.extf %[[IN]] : bf16 to f32
// CHECK-NEXT: %[[ADD:.*]] = arith.addf %[[WIDE]], %[[ACC]] : f32
// CHECK-NEXT: linalg.yield %[[ADD]] : f32
// CHECK: %[[R:.*]] = linalg.generic {{.*}} ins(%[[SUM]] : tensor<4xf32>) outs(%{{.*}} : tensor<4xbf16>)
// CHECK: arith.truncf %{{.*}} : f32 to bf16
// CHECK: return %[[R]] : tensor<4xbf16>
func.func @row_sum(%x: tensor<4x64xbf16>) -> tensor<4xbf16> {
  %zero = arith.constant 0.0 : bf16
  %e = tensor.empty() : tensor<4xbf16>
  %init = linalg.fill ins(%zero : bf16) outs(%e : tensor<4xbf16>) -> tensor<4xbf16>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                       iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x64xbf16>) outs(%init : tensor<4xbf16>) {
  ^bb0(%in: bf16, %out: bf16):
    %s = arith.addf %in, %out : bf16
    linalg.yield %s : bf16
  } -> tensor<4xbf16>
  return %r : tensor<4xbf16>
}

// -----

// A sum of squares in f16 with an f16 constant and an accumulator that is not a fill:
// the constant is rebuilt in f32, the squares are computed in f32, the init extended.
// CHECK-LABEL: func.func @scaled_squares
// CHECK-SAME: (%[[X:.*]]: tensor<8x16xf16>, %[[INIT:.*]]: tensor<8xf16>)
// CHECK: %[[WINIT:.*]] = linalg.generic {{.*}} ins(%[[INIT]] : tensor<8xf16>) outs(%{{.*}} : tensor<8xf32>)
// CHECK: arith.extf %{{.*}} : f16 to f32
// CHECK: linalg.generic {{.*}} ins(%[[X]] : tensor<8x16xf16>) outs(%[[WINIT]] : tensor<8xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: f16, %[[ACC:.*]]: f32):
// CHECK-DAG: %[[HALF:.*]] = arith.constant 5.000000e-01 : f32
// CHECK-DAG: %[[W:.*]] = arith.extf %[[IN]] : f16 to f32
// CHECK: %[[SQ:.*]] = arith.mulf %[[W]], %[[W]] : f32
// CHECK: %[[SC:.*]] = arith.mulf %[[SQ]], %[[HALF]] : f32
// CHECK: %[[ADD:.*]] = arith.addf %[[SC]], %[[ACC]] : f32
// CHECK: linalg.yield %[[ADD]] : f32
// CHECK: arith.truncf %{{.*}} : f32 to f16
func.func @scaled_squares(%x: tensor<8x16xf16>, %init: tensor<8xf16>) -> tensor<8xf16> {
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                       iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<8x16xf16>) outs(%init : tensor<8xf16>) {
  ^bb0(%in: f16, %out: f16):
    %half = arith.constant 0.5 : f16
    %sq = arith.mulf %in, %in : f16
    %sc = arith.mulf %sq, %half : f16
    %s = arith.addf %sc, %out : f16
    linalg.yield %s : f16
  } -> tensor<8xf16>
  return %r : tensor<8xf16>
}

// -----

// A body that rounds its own partial sum (f32 arithmetic, truncf into the yield): the
// truncf goes, the f32 value accumulates.
// CHECK-LABEL: func.func @rounds_each_step
// CHECK: ^bb0(%[[IN:.*]]: bf16, %[[ACC:.*]]: f32):
// CHECK-NOT: arith.truncf
// CHECK: %[[ADD:.*]] = arith.addf %{{.*}}, %[[ACC]] : f32
// CHECK-NEXT: linalg.yield %[[ADD]] : f32
// CHECK: arith.truncf %{{.*}} : f32 to bf16
func.func @rounds_each_step(%x: tensor<4x64xbf16>, %init: tensor<4xbf16>) -> tensor<4xbf16> {
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                       iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x64xbf16>) outs(%init : tensor<4xbf16>) {
  ^bb0(%in: bf16, %out: bf16):
    %a = arith.extf %in : bf16 to f32
    %b = arith.extf %out : bf16 to f32
    %s = arith.addf %a, %b : f32
    %t = arith.truncf %s : f32 to bf16
    linalg.yield %t : bf16
  } -> tensor<4xbf16>
  return %r : tensor<4xbf16>
}

// -----

// Not changed: a max (exact in any precision, an argmax's index beside it), an f32 sum,
// and an elementwise bf16 op (no reduction: PyTorch rounds each op too).
// CHECK-LABEL: func.func @unchanged
// CHECK-NOT: f32
// CHECK: arith.maximumf %{{.*}}, %{{.*}} : bf16
// CHECK: arith.addf %{{.*}}, %{{.*}} : bf16
// CHECK-LABEL: func.func @f32_sum
// CHECK-NOT: arith.extf
// CHECK-NOT: arith.truncf
// CHECK: return
func.func @unchanged(%x: tensor<4x64xbf16>, %m: tensor<4xbf16>, %i: tensor<4xi64>) -> (tensor<4xbf16>, tensor<4xi64>, tensor<4x64xbf16>) {
  %r:2 = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>, affine_map<(d0, d1) -> (d0)>],
                         iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x64xbf16>) outs(%m, %i : tensor<4xbf16>, tensor<4xi64>) {
  ^bb0(%in: bf16, %out: bf16, %idx: i64):
    %j = linalg.index 1 : index
    %j64 = arith.index_cast %j : index to i64
    %mx = arith.maximumf %in, %out : bf16
    %gt = arith.cmpf ogt, %in, %out : bf16
    %sel = arith.select %gt, %j64, %idx : i64
    linalg.yield %mx, %sel : bf16, i64
  } -> (tensor<4xbf16>, tensor<4xi64>)
  %e = tensor.empty() : tensor<4x64xbf16>
  %d = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x64xbf16>) outs(%e : tensor<4x64xbf16>) {
  ^bb0(%in: bf16, %out: bf16):
    %s = arith.addf %in, %in : bf16
    linalg.yield %s : bf16
  } -> tensor<4x64xbf16>
  return %r#0, %r#1, %d : tensor<4xbf16>, tensor<4xi64>, tensor<4x64xbf16>
}
func.func @f32_sum(%x: tensor<4x64xf32>, %init: tensor<4xf32>) -> tensor<4xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>],
                       iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x64xf32>) outs(%init : tensor<4xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %out : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// A cumulative sum (tm_tensor.scan): input and accumulators in f32, both results rounded.
// CHECK-LABEL: func.func @cumsum
// CHECK-SAME: (%[[X:.*]]: tensor<2x32xbf16>)
// CHECK: %[[WX:.*]] = linalg.generic {{.*}} ins(%[[X]] : tensor<2x32xbf16>) outs(%{{.*}} : tensor<2x32xf32>)
// CHECK: %[[SCAN:.*]]:2 = tm_tensor.scan dimension(1) inclusive(true) ins(%[[WX]] : tensor<2x32xf32>) outs(%{{.*}}, %{{.*}} : tensor<2x32xf32>, tensor<2xf32>)
// CHECK-NEXT: ^bb0(%[[A:.*]]: f32, %[[B:.*]]: f32):
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[A]], %[[B]] : f32
// CHECK-NEXT: tm_tensor.yield %[[S]] : f32
// CHECK: linalg.generic {{.*}} ins(%[[SCAN]]#0 : tensor<2x32xf32>) outs(%{{.*}} : tensor<2x32xbf16>)
func.func @cumsum(%x: tensor<2x32xbf16>) -> tensor<2x32xbf16> {
  %zero = arith.constant 0.0 : bf16
  %e = tensor.empty() : tensor<2x32xbf16>
  %o = linalg.fill ins(%zero : bf16) outs(%e : tensor<2x32xbf16>) -> tensor<2x32xbf16>
  %e1 = tensor.empty() : tensor<2xbf16>
  %a = linalg.fill ins(%zero : bf16) outs(%e1 : tensor<2xbf16>) -> tensor<2xbf16>
  %r:2 = tm_tensor.scan dimension(1) inclusive(true) ins(%x : tensor<2x32xbf16>) outs(%o, %a : tensor<2x32xbf16>, tensor<2xbf16>) {
  ^bb0(%p: bf16, %q: bf16):
    %s = arith.addf %p, %q : bf16
    tm_tensor.yield %s : bf16
  } -> tensor<2x32xbf16>, tensor<2xbf16>
  return %r#0 : tensor<2x32xbf16>
}

// -----

// An average pooling's window sum (a named op) accumulates in f32.
// CHECK-LABEL: func.func @pool_sum
// CHECK: %[[SUM:.*]] = linalg.pooling_nchw_sum {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x4x10x10xbf16>, tensor<3x3xbf16>) outs(%{{.*}} : tensor<1x4x8x8xf32>) -> tensor<1x4x8x8xf32>
// CHECK: linalg.generic {{.*}} ins(%[[SUM]] : tensor<1x4x8x8xf32>) outs(%{{.*}} : tensor<1x4x8x8xbf16>)
func.func @pool_sum(%x: tensor<1x4x10x10xbf16>) -> tensor<1x4x8x8xbf16> {
  %zero = arith.constant 0.0 : bf16
  %e = tensor.empty() : tensor<1x4x8x8xbf16>
  %init = linalg.fill ins(%zero : bf16) outs(%e : tensor<1x4x8x8xbf16>) -> tensor<1x4x8x8xbf16>
  %w = tensor.empty() : tensor<3x3xbf16>
  %r = linalg.pooling_nchw_sum {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
      ins(%x, %w : tensor<1x4x10x10xbf16>, tensor<3x3xbf16>) outs(%init : tensor<1x4x8x8xbf16>) -> tensor<1x4x8x8xbf16>
  return %r : tensor<1x4x8x8xbf16>
}
