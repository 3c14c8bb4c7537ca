// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-form-fusion-groups, kiln-tile-and-fuse{threads=2 vector-width=8})' | FileCheck %s

#in = affine_map<(n, oh, ow, g, f, kh, kw, c) -> (n, oh + kh, ow + kw, g, c)>
#fl = affine_map<(n, oh, ow, g, f, kh, kw, c) -> (g, kh, kw, c, f)>
#out = affine_map<(n, oh, ow, g, f, kh, kw, c) -> (n, oh, ow, g, f)>
#id5 = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>
#chan = affine_map<(d0, d1, d2, d3, d4) -> (d3, d4)>

// A grouped convolution group as kiln-conv-to-nhwc writes it (ResNeXt's first
// stage: 8 groups of 4 -> 4 channels, 3x3, already padded input), with a bias
// init and a relu epilogue. Few channels per group: each 4-pixel x 4-channel
// output block accumulates over the kernel and the group's 4 channels in
// registers (loops image, group, channel block, row, pixel block, kernel row,
// kernel column), and each innermost op is a tile of one group and one row
// that kiln-decompose-grouped-convs makes a 1-D convolution. Each thread
// takes 4 of the 8 rows; the init and the relu are tiled to 1x1x4x1x4 blocks
// (the relu in place).
// CHECK-LABEL: func.func @grouped_relu
// CHECK: %[[FORALL:.*]] = scf.forall (%{{.*}}) in (2) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<1x8x8x8x4xf32>) {
// CHECK: tensor.extract_slice %{{.*}}[0, %{{.*}}, 0, 0, 0] [1, 6, 10, 8, 4]
// CHECK: linalg.generic
// CHECK-SAME: outs(%{{.*}} : tensor<1x1x4x1x4xf32>) attrs = {kiln.vectorize}
// CHECK-COUNT-7: scf.for
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}}, %{{.*}} : tensor<1x1x4x1x4xf32>, tensor<1x1x1x4x4xf32>) outs(%{{.*}} : tensor<1x1x4x1x4xf32>) attrs = {kiln.vectorize}
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: linalg.generic
// CHECK-SAME: outs(%{{.*}} : tensor<1x1x4x1x4xf32>) attrs = {kiln.vectorize}
// CHECK: arith.maximumf
// CHECK: scf.forall.in_parallel {
// CHECK-NEXT: tensor.parallel_insert_slice %{{.*}} into %[[OUT]][0, %{{.*}}, 0, 0, 0] [1, 4, 8, 8, 4]
// CHECK-NOT: kiln.fusion_group
// CHECK-NOT: kiln.t
// CHECK: return %[[FORALL]] : tensor<1x8x8x8x4xf32>
func.func @grouped_relu(%x: tensor<1x10x10x8x4xf32>, %w: tensor<8x3x3x4x4xf32>, %bias: tensor<8x4xf32>) -> tensor<1x8x8x8x4xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x8x8x8x4xf32>
  %init = linalg.generic {indexing_maps = [#chan, #id5], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]}
      ins(%bias : tensor<8x4xf32>) outs(%e : tensor<1x8x8x8x4xf32>) {
  ^bb0(%b: f32, %o: f32):
    linalg.yield %b : f32
  } -> tensor<1x8x8x8x4xf32>
  %conv = linalg.generic {indexing_maps = [#in, #fl, #out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %w : tensor<1x10x10x8x4xf32>, tensor<8x3x3x4x4xf32>) outs(%init : tensor<1x8x8x8x4xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x8x8x8x4xf32>
  %relu = linalg.generic {indexing_maps = [#id5, #id5], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]}
      ins(%conv : tensor<1x8x8x8x4xf32>) outs(%e : tensor<1x8x8x8x4xf32>) {
  ^bb0(%v: f32, %o: f32):
    %r = arith.maximumf %v, %zero : f32
    linalg.yield %r : f32
  } -> tensor<1x8x8x8x4xf32>
  return %relu : tensor<1x8x8x8x4xf32>
}

// -----

#in2 = affine_map<(n, oh, ow, g, f, kh, kw, c) -> (n, oh * 2 + kh, ow * 2 + kw, g, c)>
#fl = affine_map<(n, oh, ow, g, f, kh, kw, c) -> (g, kh, kw, c, f)>
#out = affine_map<(n, oh, ow, g, f, kh, kw, c) -> (n, oh, ow, g, f)>

// 32 input and 8 output channels per group, stride 2, 7 output rows (odd:
// the threads take half of the 4 groups each). With many input channels the
// group's filter is read in memory order: loops image, group, kernel row,
// kernel column, channel chunk, channel block, row, pixel block, then the
// chunk by 16: a 7 x 16 by 16 x 8 product per innermost op, reading
// (7 - 1) * 2 + 1 = 13 input pixels.
// CHECK-LABEL: func.func @grouped_wide_stride2
// CHECK: scf.forall (%{{.*}}) in (2) shared_outs(%{{.*}}) -> (tensor<1x7x7x4x8xf32>) {
// CHECK-COUNT-9: scf.for
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}}, %{{.*}} : tensor<1x1x13x1x16xf32>, tensor<1x1x1x16x8xf32>) outs(%{{.*}} : tensor<1x1x7x1x8xf32>) attrs = {kiln.vectorize}
// CHECK: scf.forall.in_parallel
func.func @grouped_wide_stride2(%x: tensor<1x15x15x4x32xf32>, %w: tensor<4x3x3x32x8xf32>, %init: tensor<1x7x7x4x8xf32>) -> tensor<1x7x7x4x8xf32> {
  %conv = linalg.generic {indexing_maps = [#in2, #fl, #out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %w : tensor<1x15x15x4x32xf32>, tensor<4x3x3x32x8xf32>) outs(%init : tensor<1x7x7x4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x7x7x4x8xf32>
  return %conv : tensor<1x7x7x4x8xf32>
}
