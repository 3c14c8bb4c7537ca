// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-int8-convs)' | FileCheck %s

// A quantized 3x3 convolution padded by 1, as torch-mlir imports it: u8 activation (zero
// point 3, scale 0.5) padded with 0.0 in f32, s8 filter q[f, 0, kh, kw] = f - 8 + kh with
// scales sw[f] = 0.25, 0.125, 0.0625, ... and zero point 0. The u8 input is padded with its
// zero point 3 (dequant(3) = 0.0, the float padding), NHWC, channels 1 -> 4 (quads);
// the filter is HWCF s8 with zero channels; the epilogue subtracts za * filter_sum[f]
// = 3 * (9 f - 63) = -189, -162, -135, ... and scales by sa * sw[f] = 0.125, 0.0625, ...
// CHECK-LABEL: func.func @conv3x3_padded
// CHECK-SAME: (%[[Q:.*]]: tensor<1x1x4x4xi8>)
// CHECK: %[[NHWC:.*]] = linalg.generic {{.*}} ins(%[[Q]] : tensor<1x1x4x4xi8>) outs(%{{.*}} : tensor<1x4x4x1xi8>)
// CHECK: %[[BUF:.*]] = bufferization.alloc_tensor() : tensor<1x6x6x4xi8>
// CHECK: %[[ZA:.*]] = arith.constant 3 : i8
// CHECK: %[[FILL:.*]] = linalg.fill ins(%[[ZA]] : i8) outs(%[[BUF]] : tensor<1x6x6x4xi8>)
// CHECK: %[[PAD:.*]] = tensor.insert_slice %[[NHWC]] into %[[FILL]][0, 1, 1, 0] [1, 4, 4, 1] [1, 1, 1, 1]
// CHECK: %[[W:.*]] = arith.constant dense<"0xF8F9FAFBFCFDFEFF0001020304050607000000{{.*}}"> : tensor<3x3x4x16xi8>
// CHECK: %[[ZERO:.*]] = linalg.fill ins(%{{.*}} : i32) outs(%{{.*}} : tensor<1x4x4x16xi32>)
// CHECK: %[[SUM:.*]] = linalg.generic {indexing_maps = [#[[XMAP:.*]], #[[WMAP:.*]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]} ins(%[[PAD]], %[[W]] : tensor<1x6x6x4xi8>, tensor<3x3x4x16xi8>) outs(%[[ZERO]] : tensor<1x4x4x16xi32>)
// CHECK: arith.extui %{{.*}} : i8 to i32
// CHECK: arith.extsi %{{.*}} : i8 to i32
// CHECK: arith.muli
// CHECK: arith.addi
// CHECK: %[[TERM:.*]] = arith.constant dense<[-189, -162, -135, -108, -81, -54, -27, 0, 27, 54, 81, 108, 135, 162, 189, 216]> : tensor<16xi32>
// CHECK: %[[SCALE:.*]] = arith.constant dense<[1.250000e-01, 6.250000e-02, 3.125000e-02, 1.250000e-01, {{.*}}]> : tensor<16xf32>
// CHECK: %[[OUT:.*]] = linalg.generic {{.*}} ins(%[[SUM]], %[[TERM]], %[[SCALE]], %{{.*}} : tensor<1x4x4x16xi32>, tensor<16xi32>, tensor<16xf32>, tensor<1x16x4x4xf32>) outs(%{{.*}} : tensor<1x4x4x16xf32>)
// CHECK: %[[D:.*]] = arith.subi
// CHECK: %[[F:.*]] = arith.sitofp %[[D]] : i32 to f32
// CHECK: %[[R:.*]] = arith.mulf %[[F]]
// CHECK: arith.addf %{{.*}}, %[[R]]
// CHECK: %[[T:.*]] = linalg.transpose ins(%[[OUT]] : tensor<1x4x4x16xf32>) {{.*}} permutation = [0, 3, 1, 2]
// CHECK-NOT: linalg.conv_2d_nchw_fchw
// CHECK: return %[[T]]
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#ch = affine_map<(d0, d1, d2, d3) -> (d0)>
func.func @conv3x3_padded(%q: tensor<1x1x4x4xi8>) -> tensor<1x16x4x4xf32> {
  %za = arith.constant 3 : i64
  %sa = arith.constant 0.5 : f32
  %e0 = tensor.empty() : tensor<1x1x4x4xf32>
  %x = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%q : tensor<1x1x4x4xi8>) outs(%e0 : tensor<1x1x4x4xf32>) {
  ^bb0(%in: i8, %out: f32):
    %0 = arith.extui %in : i8 to i64
    %1 = arith.subi %0, %za : i64
    %2 = arith.sitofp %1 : i64 to f32
    %3 = arith.mulf %2, %sa : f32
    linalg.yield %3 : f32
  } -> tensor<1x1x4x4xf32>
  %wq = arith.constant dense<[[[[-8, -8, -8], [-7, -7, -7], [-6, -6, -6]]], [[[-7, -7, -7], [-6, -6, -6], [-5, -5, -5]]], [[[-6, -6, -6], [-5, -5, -5], [-4, -4, -4]]], [[[-5, -5, -5], [-4, -4, -4], [-3, -3, -3]]], [[[-4, -4, -4], [-3, -3, -3], [-2, -2, -2]]], [[[-3, -3, -3], [-2, -2, -2], [-1, -1, -1]]], [[[-2, -2, -2], [-1, -1, -1], [0, 0, 0]]], [[[-1, -1, -1], [0, 0, 0], [1, 1, 1]]], [[[0, 0, 0], [1, 1, 1], [2, 2, 2]]], [[[1, 1, 1], [2, 2, 2], [3, 3, 3]]], [[[2, 2, 2], [3, 3, 3], [4, 4, 4]]], [[[3, 3, 3], [4, 4, 4], [5, 5, 5]]], [[[4, 4, 4], [5, 5, 5], [6, 6, 6]]], [[[5, 5, 5], [6, 6, 6], [7, 7, 7]]], [[[6, 6, 6], [7, 7, 7], [8, 8, 8]]], [[[7, 7, 7], [8, 8, 8], [9, 9, 9]]]]> : tensor<16x1x3x3xi8>
  %sw = arith.constant dense<[0.25, 0.125, 0.0625, 0.25, 0.125, 0.0625, 0.25, 0.125, 0.0625, 0.25, 0.125, 0.0625, 0.25, 0.125, 0.0625, 0.25]> : tensor<16xf32>
  %zw = arith.constant dense<0> : tensor<16xi64>
  %e1 = tensor.empty() : tensor<16x1x3x3xf32>
  %w = linalg.generic {indexing_maps = [#id, #ch, #ch, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%wq, %sw, %zw : tensor<16x1x3x3xi8>, tensor<16xf32>, tensor<16xi64>) outs(%e1 : tensor<16x1x3x3xf32>) {
  ^bb0(%in: i8, %s: f32, %z: i64, %out: f32):
    %0 = arith.extsi %in : i8 to i64
    %1 = arith.subi %0, %z : i64
    %2 = arith.sitofp %1 : i64 to f32
    %3 = arith.mulf %2, %s : f32
    linalg.yield %3 : f32
  } -> tensor<16x1x3x3xf32>
  %pv = arith.constant 0.0 : f32
  %xp = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i0: index, %i1: index, %i2: index, %i3: index):
    tensor.yield %pv : f32
  } : tensor<1x1x4x4xf32> to tensor<1x1x6x6xf32>
  %zero = arith.constant 0.0 : f32
  %e2 = tensor.empty() : tensor<1x16x4x4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e2 : tensor<1x16x4x4xf32>) -> tensor<1x16x4x4xf32>
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%xp, %w : tensor<1x1x6x6xf32>, tensor<16x1x3x3xf32>) outs(%init : tensor<1x16x4x4xf32>) -> tensor<1x16x4x4xf32>
  return %r : tensor<1x16x4x4xf32>
}

// -----

// A strided 1x1 convolution of an s8 activation (zero point -2): read as u8 by flipping
// its sign bit on the way to NHWC (q ^ 0x80), zero point 126: 126 * 4 = 504. Four
// channels are already a quad and there is no padding: the conv reads the transpose.
// CHECK: affine_map<(d0, d1, d2, d3, d4, d5, d6) -> (d0, d1 * 2 + d4, d2 * 2 + d5, d6)>
// CHECK-LABEL: func.func @conv1x1_s8_strided
// CHECK: %[[FLIP:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<1x4x4x4xi8>)
// CHECK: arith.xori %{{.*}}, %{{.*}} : i8
// CHECK: linalg.generic {{.*}} ins(%[[FLIP]], %{{.*}} : tensor<1x4x4x4xi8>, tensor<1x1x4x16xi8>) outs(%{{.*}} : tensor<1x2x2x16xi32>)
// CHECK: arith.constant dense<504> : tensor<16xi32>
// CHECK: arith.constant dense<1.250000e-01> : tensor<16xf32>
// CHECK-NOT: linalg.conv_2d_nchw_fchw
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#ch = affine_map<(d0, d1, d2, d3) -> (d0)>
func.func @conv1x1_s8_strided(%q: tensor<1x4x4x4xi8>) -> tensor<1x16x2x2xf32> {
  %za = arith.constant -2 : i64
  %sa = arith.constant 0.5 : f32
  %e0 = tensor.empty() : tensor<1x4x4x4xf32>
  %x = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%q : tensor<1x4x4x4xi8>) outs(%e0 : tensor<1x4x4x4xf32>) {
  ^bb0(%in: i8, %out: f32):
    %0 = arith.extsi %in : i8 to i64
    %1 = arith.subi %0, %za : i64
    %2 = arith.sitofp %1 : i64 to f32
    %3 = arith.mulf %2, %sa : f32
    linalg.yield %3 : f32
  } -> tensor<1x4x4x4xf32>
  %wq = arith.constant dense<[[[[1]], [[1]], [[1]], [[1]]], [[[1]], [[1]], [[1]], [[1]]], [[[1]], [[1]], [[1]], [[1]]], [[[1]], [[1]], [[1]], [[1]]], [[[1]], [[1]], [[1]], [[1]]], [[[1]], [[1]], [[1]], [[1]]], [[[1]], [[1]], [[1]], [[1]]], [[[1]], [[1]], [[1]], [[1]]], [[[1]], [[1]], [[1]], [[1]]], [[[1]], [[1]], [[1]], [[1]]], [[[1]], [[1]], [[1]], [[1]]], [[[1]], [[1]], [[1]], [[1]]], [[[1]], [[1]], [[1]], [[1]]], [[[1]], [[1]], [[1]], [[1]]], [[[1]], [[1]], [[1]], [[1]]], [[[1]], [[1]], [[1]], [[1]]]]> : tensor<16x4x1x1xi8>
  %sw = arith.constant dense<[0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25]> : tensor<16xf32>
  %zw = arith.constant dense<0> : tensor<16xi64>
  %e1 = tensor.empty() : tensor<16x4x1x1xf32>
  %w = linalg.generic {indexing_maps = [#id, #ch, #ch, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%wq, %sw, %zw : tensor<16x4x1x1xi8>, tensor<16xf32>, tensor<16xi64>) outs(%e1 : tensor<16x4x1x1xf32>) {
  ^bb0(%in: i8, %s: f32, %z: i64, %out: f32):
    %0 = arith.extsi %in : i8 to i64
    %1 = arith.subi %0, %z : i64
    %2 = arith.sitofp %1 : i64 to f32
    %3 = arith.mulf %2, %s : f32
    linalg.yield %3 : f32
  } -> tensor<16x4x1x1xf32>
  %zero = arith.constant 0.0 : f32
  %e2 = tensor.empty() : tensor<1x16x2x2xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e2 : tensor<1x16x2x2xf32>) -> tensor<1x16x2x2xf32>
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>} ins(%x, %w : tensor<1x4x4x4xf32>, tensor<16x4x1x1xf32>) outs(%init : tensor<1x16x2x2xf32>) -> tensor<1x16x2x2xf32>
  return %r : tensor<1x16x2x2xf32>
}

// -----

// Unchanged (they stay f32): a float filter, a filter with a non-zero zero point, an
// input padded with a value other than 0.0 (not dequant(za)), and 8 output channels
// (vpdpbusd's accumulators are 16 i32 lanes). Depthwise and grouped convolutions are
// other ops (depthwise_conv_2d_nchw_chw, conv_2d_ngchw_gfchw): never matched.
// CHECK-LABEL: func.func @float_filter
// CHECK-NOT: arith.extui %{{.*}} : i8 to i32
// CHECK: linalg.conv_2d_nchw_fchw
// CHECK-LABEL: func.func @filter_zero_point
// CHECK-NOT: arith.extui %{{.*}} : i8 to i32
// CHECK: linalg.conv_2d_nchw_fchw
// CHECK-LABEL: func.func @pad_not_zero
// CHECK-NOT: arith.extui %{{.*}} : i8 to i32
// CHECK: linalg.conv_2d_nchw_fchw
// CHECK-LABEL: func.func @eight_channels
// CHECK-NOT: arith.extui %{{.*}} : i8 to i32
// CHECK: linalg.conv_2d_nchw_fchw
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#ch = affine_map<(d0, d1, d2, d3) -> (d0)>
func.func @float_filter(%q: tensor<1x4x4x4xi8>) -> tensor<1x16x4x4xf32> {
  %za = arith.constant 3 : i64
  %sa = arith.constant 0.5 : f32
  %e0 = tensor.empty() : tensor<1x4x4x4xf32>
  %x = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%q : tensor<1x4x4x4xi8>) outs(%e0 : tensor<1x4x4x4xf32>) {
  ^bb0(%in: i8, %out: f32):
    %0 = arith.extui %in : i8 to i64
    %1 = arith.subi %0, %za : i64
    %2 = arith.sitofp %1 : i64 to f32
    %3 = arith.mulf %2, %sa : f32
    linalg.yield %3 : f32
  } -> tensor<1x4x4x4xf32>
  %w = arith.constant dense<0.5> : tensor<16x4x1x1xf32>
  %zero = arith.constant 0.0 : f32
  %e2 = tensor.empty() : tensor<1x16x4x4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e2 : tensor<1x16x4x4xf32>) -> tensor<1x16x4x4xf32>
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%x, %w : tensor<1x4x4x4xf32>, tensor<16x4x1x1xf32>) outs(%init : tensor<1x16x4x4xf32>) -> tensor<1x16x4x4xf32>
  return %r : tensor<1x16x4x4xf32>
}
func.func @filter_zero_point(%q: tensor<1x4x4x4xi8>) -> tensor<1x16x4x4xf32> {
  %za = arith.constant 3 : i64
  %sa = arith.constant 0.5 : f32
  %e0 = tensor.empty() : tensor<1x4x4x4xf32>
  %x = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%q : tensor<1x4x4x4xi8>) outs(%e0 : tensor<1x4x4x4xf32>) {
  ^bb0(%in: i8, %out: f32):
    %0 = arith.extui %in : i8 to i64
    %1 = arith.subi %0, %za : i64
    %2 = arith.sitofp %1 : i64 to f32
    %3 = arith.mulf %2, %sa : f32
    linalg.yield %3 : f32
  } -> tensor<1x4x4x4xf32>
  %wq = arith.constant dense<[[[[1]], [[1]], [[1]], [[1]]], [[[1]], [[1]], [[1]], [[1]]], [[[1]], [[1]], [[1]], [[1]]], [[[1]], [[1]], [[1]], [[1]]], [[[1]], [[1]], [[1]], [[1]]], [[[1]], [[1]], [[1]], [[1]]], [[[1]], [[1]], [[1]], [[1]]], [[[1]], [[1]], [[1]], [[1]]], [[[1]], [[1]], [[1]], [[1]]], [[[1]], [[1]], [[1]], [[1]]], [[[1]], [[1]], [[1]], [[1]]], [[[1]], [[1]], [[1]], [[1]]], [[[1]], [[1]], [[1]], [[1]]], [[[1]], [[1]], [[1]], [[1]]], [[[1]], [[1]], [[1]], [[1]]], [[[1]], [[1]], [[1]], [[1]]]]> : tensor<16x4x1x1xi8>
  %sw = arith.constant dense<[0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25]> : tensor<16xf32>
  %zw = arith.constant dense<1> : tensor<16xi64>
  %e1 = tensor.empty() : tensor<16x4x1x1xf32>
  %w = linalg.generic {indexing_maps = [#id, #ch, #ch, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%wq, %sw, %zw : tensor<16x4x1x1xi8>, tensor<16xf32>, tensor<16xi64>) outs(%e1 : tensor<16x4x1x1xf32>) {
  ^bb0(%in: i8, %s: f32, %z: i64, %out: f32):
    %0 = arith.extsi %in : i8 to i64
    %1 = arith.subi %0, %z : i64
    %2 = arith.sitofp %1 : i64 to f32
    %3 = arith.mulf %2, %s : f32
    linalg.yield %3 : f32
  } -> tensor<16x4x1x1xf32>
  %zero = arith.constant 0.0 : f32
  %e2 = tensor.empty() : tensor<1x16x4x4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e2 : tensor<1x16x4x4xf32>) -> tensor<1x16x4x4xf32>
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%x, %w : tensor<1x4x4x4xf32>, tensor<16x4x1x1xf32>) outs(%init : tensor<1x16x4x4xf32>) -> tensor<1x16x4x4xf32>
  return %r : tensor<1x16x4x4xf32>
}
func.func @pad_not_zero(%q: tensor<1x1x4x4xi8>) -> tensor<1x16x4x4xf32> {
  %za = arith.constant 3 : i64
  %sa = arith.constant 0.5 : f32
  %e0 = tensor.empty() : tensor<1x1x4x4xf32>
  %x = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%q : tensor<1x1x4x4xi8>) outs(%e0 : tensor<1x1x4x4xf32>) {
  ^bb0(%in: i8, %out: f32):
    %0 = arith.extui %in : i8 to i64
    %1 = arith.subi %0, %za : i64
    %2 = arith.sitofp %1 : i64 to f32
    %3 = arith.mulf %2, %sa : f32
    linalg.yield %3 : f32
  } -> tensor<1x1x4x4xf32>
  %wq = arith.constant dense<[[[[-8, -8, -8], [-7, -7, -7], [-6, -6, -6]]], [[[-7, -7, -7], [-6, -6, -6], [-5, -5, -5]]], [[[-6, -6, -6], [-5, -5, -5], [-4, -4, -4]]], [[[-5, -5, -5], [-4, -4, -4], [-3, -3, -3]]], [[[-4, -4, -4], [-3, -3, -3], [-2, -2, -2]]], [[[-3, -3, -3], [-2, -2, -2], [-1, -1, -1]]], [[[-2, -2, -2], [-1, -1, -1], [0, 0, 0]]], [[[-1, -1, -1], [0, 0, 0], [1, 1, 1]]], [[[0, 0, 0], [1, 1, 1], [2, 2, 2]]], [[[1, 1, 1], [2, 2, 2], [3, 3, 3]]], [[[2, 2, 2], [3, 3, 3], [4, 4, 4]]], [[[3, 3, 3], [4, 4, 4], [5, 5, 5]]], [[[4, 4, 4], [5, 5, 5], [6, 6, 6]]], [[[5, 5, 5], [6, 6, 6], [7, 7, 7]]], [[[6, 6, 6], [7, 7, 7], [8, 8, 8]]], [[[7, 7, 7], [8, 8, 8], [9, 9, 9]]]]> : tensor<16x1x3x3xi8>
  %sw = arith.constant dense<[0.25, 0.125, 0.0625, 0.25, 0.125, 0.0625, 0.25, 0.125, 0.0625, 0.25, 0.125, 0.0625, 0.25, 0.125, 0.0625, 0.25]> : tensor<16xf32>
  %zw = arith.constant dense<0> : tensor<16xi64>
  %e1 = tensor.empty() : tensor<16x1x3x3xf32>
  %w = linalg.generic {indexing_maps = [#id, #ch, #ch, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%wq, %sw, %zw : tensor<16x1x3x3xi8>, tensor<16xf32>, tensor<16xi64>) outs(%e1 : tensor<16x1x3x3xf32>) {
  ^bb0(%in: i8, %s: f32, %z: i64, %out: f32):
    %0 = arith.extsi %in : i8 to i64
    %1 = arith.subi %0, %z : i64
    %2 = arith.sitofp %1 : i64 to f32
    %3 = arith.mulf %2, %s : f32
    linalg.yield %3 : f32
  } -> tensor<16x1x3x3xf32>
  %pv = arith.constant 1.0 : f32
  %xp = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i0: index, %i1: index, %i2: index, %i3: index):
    tensor.yield %pv : f32
  } : tensor<1x1x4x4xf32> to tensor<1x1x6x6xf32>
  %zero = arith.constant 0.0 : f32
  %e2 = tensor.empty() : tensor<1x16x4x4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e2 : tensor<1x16x4x4xf32>) -> tensor<1x16x4x4xf32>
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%xp, %w : tensor<1x1x6x6xf32>, tensor<16x1x3x3xf32>) outs(%init : tensor<1x16x4x4xf32>) -> tensor<1x16x4x4xf32>
  return %r : tensor<1x16x4x4xf32>
}
func.func @eight_channels(%q: tensor<1x4x4x4xi8>) -> tensor<1x8x4x4xf32> {
  %za = arith.constant 3 : i64
  %sa = arith.constant 0.5 : f32
  %e0 = tensor.empty() : tensor<1x4x4x4xf32>
  %x = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%q : tensor<1x4x4x4xi8>) outs(%e0 : tensor<1x4x4x4xf32>) {
  ^bb0(%in: i8, %out: f32):
    %0 = arith.extui %in : i8 to i64
    %1 = arith.subi %0, %za : i64
    %2 = arith.sitofp %1 : i64 to f32
    %3 = arith.mulf %2, %sa : f32
    linalg.yield %3 : f32
  } -> tensor<1x4x4x4xf32>
  %wq = arith.constant dense<[[[[1]], [[1]], [[1]], [[1]]], [[[1]], [[1]], [[1]], [[1]]], [[[1]], [[1]], [[1]], [[1]]], [[[1]], [[1]], [[1]], [[1]]], [[[1]], [[1]], [[1]], [[1]]], [[[1]], [[1]], [[1]], [[1]]], [[[1]], [[1]], [[1]], [[1]]], [[[1]], [[1]], [[1]], [[1]]]]> : tensor<8x4x1x1xi8>
  %sw = arith.constant dense<[0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25, 0.25]> : tensor<8xf32>
  %zw = arith.constant dense<0> : tensor<8xi64>
  %e1 = tensor.empty() : tensor<8x4x1x1xf32>
  %w = linalg.generic {indexing_maps = [#id, #ch, #ch, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%wq, %sw, %zw : tensor<8x4x1x1xi8>, tensor<8xf32>, tensor<8xi64>) outs(%e1 : tensor<8x4x1x1xf32>) {
  ^bb0(%in: i8, %s: f32, %z: i64, %out: f32):
    %0 = arith.extsi %in : i8 to i64
    %1 = arith.subi %0, %z : i64
    %2 = arith.sitofp %1 : i64 to f32
    %3 = arith.mulf %2, %s : f32
    linalg.yield %3 : f32
  } -> tensor<8x4x1x1xf32>
  %zero = arith.constant 0.0 : f32
  %e2 = tensor.empty() : tensor<1x8x4x4xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e2 : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%x, %w : tensor<1x4x4x4xf32>, tensor<8x4x1x1xf32>) outs(%init : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  return %r : tensor<1x8x4x4xf32>
}
