// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-int8-contractions)' | FileCheck %s

// A quantized linear as torch-mlir imports it: u8 activation (zero point 3, scale 0.5),
// s8 weight [N, K] = [2, 4] with per-channel scales (0.25, 0.125) and zero point 0,
// transposed for the matmul. It becomes a u8 x s8 -> i32 contraction of the activation's
// integers and the transposed s8 weight, and an epilogue subtracting za * colsum
// (3 * (1+2+3+4) = 30, 3 * (-1-2-3-4) = -30) and scaling by sa * sw = (0.125, 0.0625).
// CHECK-LABEL: func.func @linear_u8
// CHECK-SAME: (%[[Q:.*]]: tensor<8x4xi8>)
// CHECK: %[[W:.*]] = arith.constant dense<{{\[\[}}1, -1], [2, -2], [3, -3], [4, -4]]> : tensor<4x2xi8>
// CHECK: %[[ZERO:.*]] = linalg.fill ins(%{{.*}} : i32) outs(%{{.*}} : tensor<8x2xi32>)
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[Q]], %[[W]] : tensor<8x4xi8>, tensor<4x2xi8>) outs(%[[ZERO]] : tensor<8x2xi32>)
// CHECK: arith.extui %{{.*}} : i8 to i32
// CHECK: arith.extsi %{{.*}} : i8 to i32
// CHECK: arith.muli
// CHECK: arith.addi
// CHECK: %[[TERM:.*]] = arith.constant dense<[30, -30]> : tensor<2xi32>
// CHECK: %[[SCALE:.*]] = arith.constant dense<[1.250000e-01, 6.250000e-02]> : tensor<2xf32>
// CHECK: %[[OUT:.*]] = linalg.generic {{.*}} ins(%[[SUM]], %[[TERM]], %[[SCALE]] : tensor<8x2xi32>, tensor<2xi32>, tensor<2xf32>) outs(%{{.*}} : tensor<8x2xf32>)
// CHECK: %[[D:.*]] = arith.subi
// CHECK: %[[F:.*]] = arith.sitofp %[[D]] : i32 to f32
// CHECK: arith.mulf %[[F]]
// CHECK-NOT: linalg.matmul
// CHECK: return %[[OUT]]
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @linear_u8(%q: tensor<8x4xi8>) -> tensor<8x2xf32> {
  %za = arith.constant 3 : i64
  %sa = arith.constant 0.5 : f32
  %zero = arith.constant 0.0 : f32
  %w = arith.constant dense<[[1, 2, 3, 4], [-1, -2, -3, -4]]> : tensor<2x4xi8>
  %sw = arith.constant dense<[0.25, 0.125]> : tensor<2xf32>
  %zw = arith.constant dense<0> : tensor<2xi64>
  %e0 = tensor.empty() : tensor<8x4xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%q : tensor<8x4xi8>) outs(%e0 : tensor<8x4xf32>) {
  ^bb0(%in: i8, %out: f32):
    %0 = arith.extui %in : i8 to i64
    %1 = arith.subi %0, %za : i64
    %2 = arith.sitofp %1 : i64 to f32
    %3 = arith.mulf %2, %sa : f32
    linalg.yield %3 : f32
  } -> tensor<8x4xf32>
  %e1 = tensor.empty() : tensor<2x4xf32>
  %wd = linalg.generic {indexing_maps = [#id, #row, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%w, %sw, %zw : tensor<2x4xi8>, tensor<2xf32>, tensor<2xi64>) outs(%e1 : tensor<2x4xf32>) {
  ^bb0(%in: i8, %s: f32, %z: i64, %out: f32):
    %0 = arith.extsi %in : i8 to i64
    %1 = arith.subi %0, %z : i64
    %2 = arith.sitofp %1 : i64 to f32
    %3 = arith.mulf %2, %s : f32
    linalg.yield %3 : f32
  } -> tensor<2x4xf32>
  %e2 = tensor.empty() : tensor<4x2xf32>
  %wt = linalg.transpose ins(%wd : tensor<2x4xf32>) outs(%e2 : tensor<4x2xf32>) permutation = [1, 0]
  %e3 = tensor.empty() : tensor<8x2xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e3 : tensor<8x2xf32>) -> tensor<8x2xf32>
  %r = linalg.matmul ins(%a, %wt : tensor<8x4xf32>, tensor<4x2xf32>) outs(%init : tensor<8x2xf32>) -> tensor<8x2xf32>
  return %r : tensor<8x2xf32>
}

// -----

// An s8 activation (ONNX QDQ with int8 activations, zero point -2) is read as u8 by
// flipping its sign bit (q ^ 0x80 = q + 128): the zero point becomes 126 (126 * 10 = 1260).
// CHECK-LABEL: func.func @linear_s8_activation
// CHECK: %[[FLIP:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<8x4xi8>)
// CHECK-NEXT: ^bb0
// CHECK: arith.xori %{{.*}}, %{{.*}} : i8
// CHECK: linalg.generic {{.*}} ins(%[[FLIP]], %{{.*}} : tensor<8x4xi8>, tensor<4x1xi8>)
// CHECK: arith.constant dense<1260> : tensor<1xi32>
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @linear_s8_activation(%q: tensor<8x4xi8>) -> tensor<8x1xf32> {
  %za = arith.constant -2 : i64
  %sa = arith.constant 0.5 : f32
  %zero = arith.constant 0.0 : f32
  %w = arith.constant dense<[[1, 2, 3, 4]]> : tensor<1x4xi8>
  %sw = arith.constant dense<[0.25]> : tensor<1xf32>
  %e0 = tensor.empty() : tensor<8x4xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%q : tensor<8x4xi8>) outs(%e0 : tensor<8x4xf32>) {
  ^bb0(%in: i8, %out: f32):
    %0 = arith.extsi %in : i8 to i64
    %1 = arith.subi %0, %za : i64
    %2 = arith.sitofp %1 : i64 to f32
    %3 = arith.mulf %2, %sa : f32
    linalg.yield %3 : f32
  } -> tensor<8x4xf32>
  %e1 = tensor.empty() : tensor<1x4xf32>
  %wd = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]} ins(%w, %sw : tensor<1x4xi8>, tensor<1xf32>) outs(%e1 : tensor<1x4xf32>) {
  ^bb0(%in: i8, %s: f32, %out: f32):
    %2 = arith.sitofp %in : i8 to f32
    %3 = arith.mulf %2, %s : f32
    linalg.yield %3 : f32
  } -> tensor<1x4xf32>
  %e2 = tensor.empty() : tensor<4x1xf32>
  %wt = linalg.transpose ins(%wd : tensor<1x4xf32>) outs(%e2 : tensor<4x1xf32>) permutation = [1, 0]
  %e3 = tensor.empty() : tensor<8x1xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e3 : tensor<8x1xf32>) -> tensor<8x1xf32>
  %r = linalg.matmul ins(%a, %wt : tensor<8x4xf32>, tensor<4x1xf32>) outs(%init : tensor<8x1xf32>) -> tensor<8x1xf32>
  return %r : tensor<8x1xf32>
}

// -----

// Unchanged: a float weight, a weight with a non-zero zero point, a runtime (dynamic)
// weight, and a float activation.
// CHECK-LABEL: func.func @float_weight
// CHECK-NOT: arith.extui
// CHECK: linalg.matmul
// CHECK-LABEL: func.func @weight_zero_point
// CHECK: linalg.matmul
// CHECK-LABEL: func.func @runtime_weight
// CHECK: linalg.matmul
// CHECK-LABEL: func.func @float_activation
// CHECK-NOT: arith.muli
// CHECK: linalg.matmul
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @dequant(%q: tensor<8x4xi8>) -> tensor<8x4xf32> {
  %sa = arith.constant 0.5 : f32
  %e0 = tensor.empty() : tensor<8x4xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%q : tensor<8x4xi8>) outs(%e0 : tensor<8x4xf32>) {
  ^bb0(%in: i8, %out: f32):
    %2 = arith.uitofp %in : i8 to f32
    %3 = arith.mulf %2, %sa : f32
    linalg.yield %3 : f32
  } -> tensor<8x4xf32>
  return %a : tensor<8x4xf32>
}
func.func @float_weight(%q: tensor<8x4xi8>) -> tensor<8x2xf32> {
  %zero = arith.constant 0.0 : f32
  %a = func.call @dequant(%q) : (tensor<8x4xi8>) -> tensor<8x4xf32>
  %e0 = tensor.empty() : tensor<8x4xf32>
  %a2 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%q : tensor<8x4xi8>) outs(%e0 : tensor<8x4xf32>) {
  ^bb0(%in: i8, %out: f32):
    %2 = arith.uitofp %in : i8 to f32
    linalg.yield %2 : f32
  } -> tensor<8x4xf32>
  %w = arith.constant dense<[[1.5, 2.0], [3.0, 4.0], [5.0, 6.0], [7.0, 8.0]]> : tensor<4x2xf32>
  %e3 = tensor.empty() : tensor<8x2xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e3 : tensor<8x2xf32>) -> tensor<8x2xf32>
  %r = linalg.matmul ins(%a2, %w : tensor<8x4xf32>, tensor<4x2xf32>) outs(%init : tensor<8x2xf32>) -> tensor<8x2xf32>
  return %r : tensor<8x2xf32>
}
func.func @weight_zero_point(%q: tensor<8x4xi8>) -> tensor<8x2xf32> {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<8x4xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%q : tensor<8x4xi8>) outs(%e0 : tensor<8x4xf32>) {
  ^bb0(%in: i8, %out: f32):
    %2 = arith.uitofp %in : i8 to f32
    linalg.yield %2 : f32
  } -> tensor<8x4xf32>
  %w = arith.constant dense<[[1, 2], [3, 4], [5, 6], [7, 8]]> : tensor<4x2xi8>
  %sw = arith.constant dense<[0.25, 0.125]> : tensor<2xf32>
  %zw = arith.constant dense<[1, 0]> : tensor<2xi64>
  %e1 = tensor.empty() : tensor<4x2xf32>
  %wd = linalg.generic {indexing_maps = [#id, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d1)>, #id], iterator_types = ["parallel", "parallel"]} ins(%w, %sw, %zw : tensor<4x2xi8>, tensor<2xf32>, tensor<2xi64>) outs(%e1 : tensor<4x2xf32>) {
  ^bb0(%in: i8, %s: f32, %z: i64, %out: f32):
    %0 = arith.extsi %in : i8 to i64
    %1 = arith.subi %0, %z : i64
    %2 = arith.sitofp %1 : i64 to f32
    %3 = arith.mulf %2, %s : f32
    linalg.yield %3 : f32
  } -> tensor<4x2xf32>
  %e3 = tensor.empty() : tensor<8x2xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e3 : tensor<8x2xf32>) -> tensor<8x2xf32>
  %r = linalg.matmul ins(%a, %wd : tensor<8x4xf32>, tensor<4x2xf32>) outs(%init : tensor<8x2xf32>) -> tensor<8x2xf32>
  return %r : tensor<8x2xf32>
}
func.func @runtime_weight(%q: tensor<8x4xi8>, %w: tensor<4x2xi8>) -> tensor<8x2xf32> {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<8x4xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%q : tensor<8x4xi8>) outs(%e0 : tensor<8x4xf32>) {
  ^bb0(%in: i8, %out: f32):
    %2 = arith.uitofp %in : i8 to f32
    linalg.yield %2 : f32
  } -> tensor<8x4xf32>
  %e1 = tensor.empty() : tensor<4x2xf32>
  %wd = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%w : tensor<4x2xi8>) outs(%e1 : tensor<4x2xf32>) {
  ^bb0(%in: i8, %out: f32):
    %2 = arith.sitofp %in : i8 to f32
    linalg.yield %2 : f32
  } -> tensor<4x2xf32>
  %e3 = tensor.empty() : tensor<8x2xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e3 : tensor<8x2xf32>) -> tensor<8x2xf32>
  %r = linalg.matmul ins(%a, %wd : tensor<8x4xf32>, tensor<4x2xf32>) outs(%init : tensor<8x2xf32>) -> tensor<8x2xf32>
  return %r : tensor<8x2xf32>
}
func.func @float_activation(%x: tensor<8x4xf32>) -> tensor<8x2xf32> {
  %zero = arith.constant 0.0 : f32
  %w = arith.constant dense<[[1, 2], [3, 4], [5, 6], [7, 8]]> : tensor<4x2xi8>
  %sw = arith.constant dense<[0.25, 0.125]> : tensor<2xf32>
  %e1 = tensor.empty() : tensor<4x2xf32>
  %wd = linalg.generic {indexing_maps = [#id, affine_map<(d0, d1) -> (d1)>, #id], iterator_types = ["parallel", "parallel"]} ins(%w, %sw : tensor<4x2xi8>, tensor<2xf32>) outs(%e1 : tensor<4x2xf32>) {
  ^bb0(%in: i8, %s: f32, %out: f32):
    %2 = arith.sitofp %in : i8 to f32
    %3 = arith.mulf %2, %s : f32
    linalg.yield %3 : f32
  } -> tensor<4x2xf32>
  %e3 = tensor.empty() : tensor<8x2xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e3 : tensor<8x2xf32>) -> tensor<8x2xf32>
  %r = linalg.matmul ins(%x, %wd : tensor<8x4xf32>, tensor<4x2xf32>) outs(%init : tensor<8x2xf32>) -> tensor<8x2xf32>
  return %r : tensor<8x2xf32>
}

// -----

// Unchanged: a dynamic batch (the rewrite builds static tensors; it stays f32).
// CHECK-LABEL: func.func @dynamic_rows
// CHECK-NOT: arith.extui
// CHECK: linalg.matmul
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @dynamic_rows(%q: tensor<?x4xi8>) -> tensor<?x2xf32> {
  %zero = arith.constant 0.0 : f32
  %c0 = arith.constant 0 : index
  %m = tensor.dim %q, %c0 : tensor<?x4xi8>
  %e0 = tensor.empty(%m) : tensor<?x4xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%q : tensor<?x4xi8>) outs(%e0 : tensor<?x4xf32>) {
  ^bb0(%in: i8, %out: f32):
    %2 = arith.uitofp %in : i8 to f32
    %3 = arith.constant 0.5 : f32
    %4 = arith.mulf %2, %3 : f32
    linalg.yield %4 : f32
  } -> tensor<?x4xf32>
  %w = arith.constant dense<[[1, 2], [3, 4], [5, 6], [7, 8]]> : tensor<4x2xi8>
  %sw = arith.constant dense<[0.25, 0.125]> : tensor<2xf32>
  %e1 = tensor.empty() : tensor<4x2xf32>
  %wd = linalg.generic {indexing_maps = [#id, affine_map<(d0, d1) -> (d1)>, #id], iterator_types = ["parallel", "parallel"]} ins(%w, %sw : tensor<4x2xi8>, tensor<2xf32>) outs(%e1 : tensor<4x2xf32>) {
  ^bb0(%in: i8, %s: f32, %out: f32):
    %2 = arith.sitofp %in : i8 to f32
    %3 = arith.mulf %2, %s : f32
    linalg.yield %3 : f32
  } -> tensor<4x2xf32>
  %e3 = tensor.empty(%m) : tensor<?x2xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e3 : tensor<?x2xf32>) -> tensor<?x2xf32>
  %r = linalg.matmul ins(%a, %wd : tensor<?x4xf32>, tensor<4x2xf32>) outs(%init : tensor<?x2xf32>) -> tensor<?x2xf32>
  return %r : tensor<?x2xf32>
}
