// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-decompose-conv)' | FileCheck %s
// RUN: not kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-decompose-conv{im2col=false})' 2>&1 | FileCheck %s --check-prefix=ERR

// NCHW: the filter [F, C*KH*KW] is the left-hand side, the im2col patches
// [N, C*KH*KW, OH*OW] the right-hand side of one multiply-accumulate generic.
// CHECK: #[[GATHER:.*]] = affine_map<(d0, d1, d2) -> (d0, d1 floordiv 9, {{.*}})>
// CHECK-LABEL: func.func @conv_nchw
// CHECK-SAME: (%[[X:.*]]: tensor<1x4x6x6xf32>, %[[W:.*]]: tensor<8x4x3x3xf32>)
// CHECK-NOT: linalg.conv_2d
// CHECK: %[[FILTER:.*]] = tensor.collapse_shape %[[W]] {{\[}}[0], [1, 2, 3]] : tensor<8x4x3x3xf32> into tensor<8x36xf32>
// CHECK: %[[PATCHES:.*]] = linalg.generic {indexing_maps = [#[[GATHER]], #{{.*}}], iterator_types = ["parallel", "parallel", "parallel"]}
// CHECK-SAME: ins(%[[X]] : tensor<1x4x6x6xf32>) outs(%{{.*}} : tensor<1x36x16xf32>)
// CHECK-NEXT: ^bb0(%[[IN:.*]]: f32, %{{.*}}: f32):
// CHECK-NEXT: linalg.yield %[[IN]] : f32
// CHECK: %[[MM:.*]] = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "parallel", "reduction"]
// CHECK-SAME: ins(%[[FILTER]], %[[PATCHES]] : tensor<8x36xf32>, tensor<1x36x16xf32>) outs(%{{.*}} : tensor<1x8x16xf32>)
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: %[[OUT:.*]] = tensor.expand_shape %[[MM]] {{.*}} : tensor<1x8x16xf32> into tensor<1x8x4x4xf32>
// CHECK-NOT: linalg.conv_2d
// CHECK: return %[[OUT]]
func.func @conv_nchw(%x: tensor<1x4x6x6xf32>, %w: tensor<8x4x3x3xf32>) -> tensor<1x8x4x4xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x8x4x4xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x4x6x6xf32>, tensor<8x4x3x3xf32>) outs(%c : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  return %r : tensor<1x8x4x4xf32>
}

// -----

// NHWC/HWCF: the patches [N, OH*OW, KH*KW*C] are the left-hand side, the
// filter [KH*KW*C, F] the right-hand side.
// CHECK-LABEL: func.func @conv_nhwc
// CHECK-SAME: (%[[X:.*]]: tensor<1x6x6x4xf32>, %[[W:.*]]: tensor<3x3x4x8xf32>
// CHECK-NOT: linalg.conv_2d
// CHECK: %[[FILTER:.*]] = tensor.collapse_shape %[[W]] {{\[\[}}0, 1, 2], [3]] : tensor<3x3x4x8xf32> into tensor<36x8xf32>
// CHECK: %[[PATCHES:.*]] = linalg.generic
// CHECK-SAME: ins(%[[X]] : tensor<1x6x6x4xf32>) outs(%{{.*}} : tensor<1x16x36xf32>)
// CHECK: %[[MM:.*]] = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "parallel", "reduction"]
// CHECK-SAME: ins(%[[PATCHES]], %[[FILTER]] : tensor<1x16x36xf32>, tensor<36x8xf32>)
// CHECK: tensor.expand_shape %[[MM]] {{.*}} into tensor<1x4x4x8xf32>
func.func @conv_nhwc(%x: tensor<1x6x6x4xf32>, %w: tensor<3x3x4x8xf32>, %c: tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32> {
  %r = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x6x6x4xf32>, tensor<3x3x4x8xf32>) outs(%c : tensor<1x4x4x8xf32>) -> tensor<1x4x4x8xf32>
  return %r : tensor<1x4x4x8xf32>
}

// -----

// Must not change: depthwise convolutions are left alone.
// CHECK-LABEL: func.func @depthwise
// CHECK: %[[R:.*]] = linalg.depthwise_conv_2d_nhwc_hwc
// CHECK-NOT: linalg.generic
// CHECK: return %[[R]]
func.func @depthwise(%x: tensor<1x6x6x4xf32>, %w: tensor<3x3x4xf32>, %c: tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32> {
  %r = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x6x6x4xf32>, tensor<3x3x4xf32>) outs(%c : tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  return %r : tensor<1x4x4x4xf32>
}

// ERR: error: pass 'kiln-decompose-conv' has no option 'im2col'
