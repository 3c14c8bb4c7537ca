// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-form-fusion-groups, kiln-tile-and-fuse{threads=2 vector-width=8})' | FileCheck %s
// RUN: not kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-form-fusion-groups, kiln-tile-and-fuse{threads=2 vector-width=12})' 2>&1 | FileCheck %s --check-prefix=ERR

#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>

// An NHWC convolution group (zero init, 3x3 conv over an already padded
// 1x10x10x16 input, relu epilogue), 16 input and 32 output channels, vector
// width 8: register block mr = 4 pixels x nr = 16 channels, kc = ku = 16.
// One scf.forall gives each thread 4 of the 8 output rows (6 input rows with
// the halo); inside it the fill, the convolution and the relu are tiled to
// 1x1x4x16 register blocks, the relu updating the convolution's result in
// place (its only operand is its output). The convolution runs in 7 loops (image, kernel
// row and column, input-channel chunk, output-channel block, row, pixel
// block) around a ku loop, and each innermost step is a 1-D convolution: a
// 4x16 by 16x16 matrix product.
// Each group is scheduled in a private function of its own (group_functions.py),
// inlined back afterwards: none is left, nor the ops' schedule markers.
// CHECK-NOT: __kiln_tile_group
// CHECK-NOT: kiln.bound
// CHECK-LABEL: func.func @conv_relu
// CHECK-SAME: (%[[X:.*]]: tensor<1x10x10x16xf32>, %[[W:.*]]: tensor<3x3x16x32xf32>)
// CHECK-NOT: kiln.fusion_group
// CHECK: %[[FORALL:.*]] = scf.forall (%[[T:.*]]) in (2) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<1x8x8x32xf32>) {
// CHECK: %[[X_ROWS:.*]] = tensor.extract_slice %[[X]][0, %{{.*}}, 0, 0] [1, 6, 10, 16]
// CHECK: %[[OUT_ROWS:.*]] = tensor.extract_slice %[[OUT]][0, %{{.*}}, 0, 0] [1, 4, 8, 32]
// CHECK: %[[FILLED:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[OUT_ROWS]])
// CHECK: linalg.fill {kiln.vectorize} ins(%{{.*}} : f32) outs(%{{.*}} : tensor<1x1x4x16xf32>)
// CHECK-NOT: linalg.conv_2d_nhwc_hwcf
// CHECK: %[[CONV:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[FILLED]])
// CHECK-COUNT-7: scf.for
// CHECK: %[[PIXELS:.*]] = tensor.extract_slice {{.*}} : tensor<1x1x4x16xf32> to tensor<1x4x16xf32>
// CHECK: %[[FILTER:.*]] = tensor.extract_slice {{.*}} : tensor<1x1x16x16xf32> to tensor<1x16x16xf32>
// CHECK: linalg.conv_1d_nwc_wcf
// CHECK-SAME: kiln.vectorize
// CHECK-SAME: ins(%[[PIXELS]], %[[FILTER]] : tensor<1x4x16xf32>, tensor<1x16x16xf32>) outs(%{{.*}} : tensor<1x4x16xf32>)
// CHECK-NOT: linalg.conv_2d_nhwc_hwcf
// CHECK: %[[RELU:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[CONV]])
// CHECK: linalg.generic
// CHECK-SAME: outs(%{{.*}} : tensor<1x1x4x16xf32>) attrs = {kiln.vectorize}
// CHECK-NEXT: ^bb0(%[[V:.*]]: f32):
// CHECK-NEXT: arith.maximumf %[[V]]
// CHECK: scf.forall.in_parallel {
// CHECK-NEXT: tensor.parallel_insert_slice %[[RELU]] into %[[OUT]][0, %{{.*}}, 0, 0] [1, 4, 8, 32]
// CHECK-NOT: kiln.fusion_group
// CHECK-NOT: kiln.t
// CHECK: return %[[FORALL]] : tensor<1x8x8x32xf32>
// CHECK-NOT: __kiln_tile_group
func.func @conv_relu(%x: tensor<1x10x10x16xf32>, %w: tensor<3x3x16x32xf32>) -> tensor<1x8x8x32xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x8x8x32xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x8x8x32xf32>) -> tensor<1x8x8x32xf32>
  %conv = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x10x10x16xf32>, tensor<3x3x16x32xf32>) outs(%init : tensor<1x8x8x32xf32>) -> tensor<1x8x8x32xf32>
  %relu = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%conv : tensor<1x8x8x32xf32>) outs(%e : tensor<1x8x8x32xf32>) {
  ^bb0(%v: f32, %o: f32):
    %r = arith.maximumf %v, %zero : f32
    linalg.yield %r : f32
  } -> tensor<1x8x8x32xf32>
  return %relu : tensor<1x8x8x32xf32>
}

// -----

// A first layer (3 input channels, fewer than 16): each 4x16 output block
// accumulates over all of kh, kw and c, so the 1-D convolutions take all 3
// channels at once (a 4x3 by 3x16 product).
// CHECK-LABEL: func.func @first_layer
// CHECK: scf.forall (%{{.*}}) in (2) shared_outs(%{{.*}}) -> (tensor<1x8x8x16xf32>) {
// CHECK: linalg.fill {kiln.vectorize} {{.*}} -> tensor<1x1x4x16xf32>
// CHECK: linalg.conv_1d_nwc_wcf
// CHECK-SAME: kiln.vectorize
// CHECK-SAME: ins(%{{.*}}, %{{.*}} : tensor<1x4x3xf32>, tensor<1x3x16xf32>) outs(%{{.*}} : tensor<1x4x16xf32>)
// CHECK: scf.forall.in_parallel
// CHECK-NOT: kiln.fusion_group
// CHECK: return
func.func @first_layer(%x: tensor<1x10x10x3xf32>, %w: tensor<3x3x3x16xf32>) -> tensor<1x8x8x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x8x8x16xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x8x8x16xf32>) -> tensor<1x8x8x16xf32>
  %conv = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x10x10x3xf32>, tensor<3x3x3x16xf32>) outs(%init : tensor<1x8x8x16xf32>) -> tensor<1x8x8x16xf32>
  return %conv : tensor<1x8x8x16xf32>
}

// -----

// Must not change: a dynamically shaped convolution is neither grouped nor tiled.
// CHECK-LABEL: func.func @conv_dynamic
// CHECK-NOT: kiln.fusion_group
// CHECK-NOT: scf.forall
// CHECK: %[[R:.*]] = linalg.conv_2d_nhwc_hwcf
// CHECK-SAME: outs(%{{.*}} : tensor<?x8x8x32xf32>)
// CHECK-NOT: kiln.vectorize
// CHECK: return %[[R]]
func.func @conv_dynamic(%x: tensor<?x10x10x16xf32>, %w: tensor<3x3x16x32xf32>, %init: tensor<?x8x8x32xf32>) -> tensor<?x8x8x32xf32> {
  %conv = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<?x10x10x16xf32>, tensor<3x3x16x32xf32>) outs(%init : tensor<?x8x8x32xf32>) -> tensor<?x8x8x32xf32>
  return %conv : tensor<?x8x8x32xf32>
}

// ERR: error: kiln-tile-and-fuse: vector-width must be 4, 8 or 16, got 12

// -----

// A small filter (3x3x8x64, 18 KB) and a large output (1x64x32x64, 512 KB):
// the forall runs over four bands of 16 rows (128 KB of output each), two per
// thread, and each band's fill, convolution and relu run one after the other
// while the band is in cache.
// CHECK-LABEL: func.func @banded
// CHECK: %[[FORALL:.*]] = scf.forall (%{{.*}}) in (4) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<1x64x32x64xf32>) {
// CHECK: tensor.extract_slice %{{.*}}[0, %{{.*}}, 0, 0] [1, 18, 34, 8]
// CHECK: linalg.fill
// CHECK: linalg.conv_1d_nwc_wcf
// CHECK: arith.maximumf
// CHECK: scf.forall.in_parallel {
// CHECK-NEXT: tensor.parallel_insert_slice %{{.*}} into %[[OUT]][0, %{{.*}}, 0, 0] [1, 16, 32, 64]
#id4b = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @banded(%x: tensor<1x66x34x8xf32>, %w: tensor<3x3x8x64xf32>) -> tensor<1x64x32x64xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x64x32x64xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x64x32x64xf32>) -> tensor<1x64x32x64xf32>
  %c = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x66x34x8xf32>, tensor<3x3x8x64xf32>) outs(%init : tensor<1x64x32x64xf32>) -> tensor<1x64x32x64xf32>
  %e2 = tensor.empty() : tensor<1x64x32x64xf32>
  %r = linalg.generic {indexing_maps = [#id4b, #id4b], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c : tensor<1x64x32x64xf32>) outs(%e2 : tensor<1x64x32x64xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.maximumf %a, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x64x32x64xf32>
  return %r : tensor<1x64x32x64xf32>
}
