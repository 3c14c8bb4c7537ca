// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-form-fusion-groups, kiln-tile-and-fuse{threads=2 vector-width=8})' | FileCheck %s

#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>

// A depthwise convolution group (zero init, 3x3 depthwise conv over an
// already padded 1x10x10x32 input, relu6 epilogue), vector width 8: register
// block mr = 4 pixels x nr = 16 channels (8 accumulator vectors). One
// scf.forall gives each thread 4 of the 8 output rows (6 input rows with the
// halo); inside it the fill, the convolution and the relu6 are tiled to
// 1x1x4x16 blocks, the relu6 updating the convolution's blocks in place.
// The convolution runs in 5 loops (image, row, pixel block, channel block,
// kernel row) around a depthwise_conv_1d_nwc_wc that reads 6 input pixels and
// the kernel row's 3 taps.
// CHECK-LABEL: func.func @depthwise_relu6
// CHECK-SAME: (%[[X:.*]]: tensor<1x10x10x32xf32>, %[[W:.*]]: tensor<3x3x32xf32>)
// CHECK-NOT: kiln.fusion_group
// CHECK: %[[FORALL:.*]] = scf.forall (%{{.*}}) in (2) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<1x8x8x32xf32>) {
// CHECK: tensor.extract_slice %[[X]][0, %{{.*}}, 0, 0] [1, 6, 10, 32]
// CHECK: %[[OUT_ROWS:.*]] = tensor.extract_slice %[[OUT]][0, %{{.*}}, 0, 0] [1, 4, 8, 32]
// CHECK: linalg.fill {kiln.vectorize} ins(%{{.*}} : f32) outs(%{{.*}} : tensor<1x1x4x16xf32>)
// CHECK-NOT: linalg.depthwise_conv_2d_nhwc_hwc
// CHECK-COUNT-5: scf.for
// CHECK: %[[PIXELS:.*]] = tensor.extract_slice {{.*}} : tensor<1x1x6x16xf32> to tensor<1x6x16xf32>
// CHECK: %[[TAPS:.*]] = tensor.extract_slice {{.*}} : tensor<1x3x16xf32> to tensor<3x16xf32>
// CHECK: linalg.depthwise_conv_1d_nwc_wc
// CHECK-SAME: kiln.vectorize
// CHECK-SAME: ins(%[[PIXELS]], %[[TAPS]] : tensor<1x6x16xf32>, tensor<3x16xf32>) outs(%{{.*}} : tensor<1x4x16xf32>)
// CHECK-NOT: linalg.depthwise_conv_2d_nhwc_hwc
// CHECK: linalg.generic
// CHECK-SAME: outs(%{{.*}} : tensor<1x1x4x16xf32>) attrs = {kiln.vectorize}
// CHECK: arith.maximumf
// CHECK: arith.minimumf
// CHECK: scf.forall.in_parallel {
// CHECK-NEXT: tensor.parallel_insert_slice %{{.*}} into %[[OUT]][0, %{{.*}}, 0, 0] [1, 4, 8, 32]
// CHECK-NOT: kiln.t
// CHECK: return %[[FORALL]] : tensor<1x8x8x32xf32>
func.func @depthwise_relu6(%x: tensor<1x10x10x32xf32>, %w: tensor<3x3x32xf32>) -> tensor<1x8x8x32xf32> {
  %zero = arith.constant 0.0 : f32
  %six = arith.constant 6.0 : f32
  %e = tensor.empty() : tensor<1x8x8x32xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x8x8x32xf32>) -> tensor<1x8x8x32xf32>
  %conv = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x10x10x32xf32>, tensor<3x3x32xf32>) outs(%init : tensor<1x8x8x32xf32>) -> tensor<1x8x8x32xf32>
  %relu6 = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%conv : tensor<1x8x8x32xf32>) outs(%e : tensor<1x8x8x32xf32>) {
  ^bb0(%v: f32, %o: f32):
    %lo = arith.maximumf %v, %zero : f32
    %hi = arith.minimumf %lo, %six : f32
    linalg.yield %hi : f32
  } -> tensor<1x8x8x32xf32>
  return %relu6 : tensor<1x8x8x32xf32>
}

// -----

// Stride 2, a 5x5 window and 7 output pixels per row (as in EfficientNet's
// 14 -> 7 layers): the pixel block is the whole row (mr = 7, one 8-lane
// vector per pixel), each 1-D convolution reads (7 - 1) * 2 + 5 = 17 pixels.
// The 7 rows do not split in two: the threads take one channel block each.
// CHECK-LABEL: func.func @stride2_5x5
// CHECK: scf.forall (%{{.*}}) in (2) shared_outs(%{{.*}}) -> (tensor<1x7x7x16xf32>) {
// CHECK: linalg.depthwise_conv_1d_nwc_wc {dilations = dense<1> : tensor<1xi64>, kiln.vectorize, strides = dense<2> : tensor<1xi64>}
// CHECK-SAME: ins(%{{.*}}, %{{.*}} : tensor<1x17x8xf32>, tensor<5x8xf32>) outs(%{{.*}} : tensor<1x7x8xf32>)
// CHECK: scf.forall.in_parallel
func.func @stride2_5x5(%x: tensor<1x17x17x16xf32>, %w: tensor<5x5x16xf32>, %init: tensor<1x7x7x16xf32>) -> tensor<1x7x7x16xf32> {
  %conv = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %w : tensor<1x17x17x16xf32>, tensor<5x5x16xf32>) outs(%init : tensor<1x7x7x16xf32>) -> tensor<1x7x7x16xf32>
  return %conv : tensor<1x7x7x16xf32>
}

// -----

// Must not change: a dynamically shaped depthwise convolution is neither
// grouped nor tiled.
// CHECK-LABEL: func.func @depthwise_dynamic
// CHECK-NOT: scf.forall
// CHECK: linalg.depthwise_conv_2d_nhwc_hwc
// CHECK-NOT: kiln.vectorize
// CHECK: return
func.func @depthwise_dynamic(%x: tensor<?x10x10x16xf32>, %w: tensor<3x3x16xf32>, %init: tensor<?x8x8x16xf32>) -> tensor<?x8x8x16xf32> {
  %conv = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<?x10x10x16xf32>, tensor<3x3x16xf32>) outs(%init : tensor<?x8x8x16xf32>) -> tensor<?x8x8x16xf32>
  return %conv : tensor<?x8x8x16xf32>
}
