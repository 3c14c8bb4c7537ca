// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-conv-to-nhwc)' | FileCheck %s
// RUN: not kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-conv-to-nhwc{layout=nchw})' 2>&1 | FileCheck %s --check-prefix=ERR

// An NCHW convolution runs in NHWC between transposes, its filter in HWCF.
// The H/W padding of the input is redone after the transpose as a fill of a
// fresh buffer (alloc_tensor, which CSE cannot merge) and an insert_slice.
// CHECK-LABEL: func.func @conv_padded
// CHECK-SAME: (%[[X:.*]]: tensor<1x4x6x6xf32>, %[[W:.*]]: tensor<8x4x3x3xf32>)
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[INIT:.*]] = linalg.fill ins(%[[ZERO]] : f32) {{.*}} -> tensor<1x8x6x6xf32>
// CHECK: %[[X_NHWC:.*]] = linalg.transpose ins(%[[X]] : tensor<1x4x6x6xf32>) outs(%{{.*}} : tensor<1x6x6x4xf32>) permutation = [0, 2, 3, 1]
// CHECK: %[[BUF:.*]] = bufferization.alloc_tensor() : tensor<1x8x8x4xf32>
// CHECK: %[[BORDER:.*]] = linalg.fill ins(%[[ZERO]] : f32) outs(%[[BUF]] : tensor<1x8x8x4xf32>)
// CHECK: %[[PADDED:.*]] = tensor.insert_slice %[[X_NHWC]] into %[[BORDER]][0, 1, 1, 0] [1, 6, 6, 4] [1, 1, 1, 1]
// CHECK: %[[INIT_NHWC:.*]] = linalg.transpose ins(%[[INIT]] : tensor<1x8x6x6xf32>) outs(%{{.*}} : tensor<1x6x6x8xf32>) permutation = [0, 2, 3, 1]
// CHECK: %[[W_HWCF:.*]] = linalg.transpose ins(%[[W]] : tensor<8x4x3x3xf32>) outs(%{{.*}} : tensor<3x3x4x8xf32>) permutation = [2, 3, 1, 0]
// CHECK: %[[CONV:.*]] = linalg.conv_2d_nhwc_hwcf
// CHECK-SAME: ins(%[[PADDED]], %[[W_HWCF]] : tensor<1x8x8x4xf32>, tensor<3x3x4x8xf32>) outs(%[[INIT_NHWC]] : tensor<1x6x6x8xf32>)
// CHECK: %[[OUT:.*]] = linalg.transpose ins(%[[CONV]] : tensor<1x6x6x8xf32>) outs(%{{.*}} : tensor<1x8x6x6xf32>) permutation = [0, 3, 1, 2]
// CHECK-NOT: linalg.conv_2d_nchw_fchw
// CHECK: return %[[OUT]] : tensor<1x8x6x6xf32>
func.func @conv_padded(%x: tensor<1x4x6x6xf32>, %w: tensor<8x4x3x3xf32>) -> tensor<1x8x6x6xf32> {
  %zero = arith.constant 0.0 : f32
  %p = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %zero : f32
  } : tensor<1x4x6x6xf32> to tensor<1x4x8x8xf32>
  %e = tensor.empty() : tensor<1x8x6x6xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%p, %w : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%init : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  return %r : tensor<1x8x6x6xf32>
}

// -----

// A pad of the channel dimension is not redone: the padded tensor is
// transposed as a whole.
// CHECK-LABEL: func.func @conv_channel_pad
// CHECK: %[[PADDED:.*]] = tensor.pad
// CHECK-NOT: bufferization.alloc_tensor
// CHECK: %[[X_NHWC:.*]] = linalg.transpose ins(%[[PADDED]] : tensor<1x4x6x6xf32>) {{.*}} permutation = [0, 2, 3, 1]
// CHECK: linalg.conv_2d_nhwc_hwcf
// CHECK-SAME: ins(%[[X_NHWC]], %{{.*}} : tensor<1x6x6x4xf32>, tensor<3x3x4x8xf32>)
// CHECK-NOT: linalg.conv_2d_nchw_fchw
func.func @conv_channel_pad(%x: tensor<1x3x6x6xf32>, %w: tensor<8x4x3x3xf32>, %init: tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32> {
  %zero = arith.constant 0.0 : f32
  %p = tensor.pad %x low[0, 1, 0, 0] high[0, 0, 0, 0] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %zero : f32
  } : tensor<1x3x6x6xf32> to tensor<1x4x6x6xf32>
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%p, %w : tensor<1x4x6x6xf32>, tensor<8x4x3x3xf32>) outs(%init : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  return %r : tensor<1x8x4x4xf32>
}

// -----

// A max pooling likewise, keeping its window, strides and dilations.
// CHECK-LABEL: func.func @max_pool
// CHECK-SAME: (%[[X:.*]]: tensor<1x8x6x6xf32>, %[[INIT:.*]]: tensor<1x8x3x3xf32>)
// CHECK: %[[WIN:.*]] = tensor.empty() : tensor<2x2xf32>
// CHECK: %[[X_NHWC:.*]] = linalg.transpose ins(%[[X]] : tensor<1x8x6x6xf32>) {{.*}} permutation = [0, 2, 3, 1]
// CHECK: %[[INIT_NHWC:.*]] = linalg.transpose ins(%[[INIT]] : tensor<1x8x3x3xf32>) {{.*}} permutation = [0, 2, 3, 1]
// CHECK: %[[POOL:.*]] = linalg.pooling_nhwc_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
// CHECK-SAME: ins(%[[X_NHWC]], %[[WIN]] : tensor<1x6x6x8xf32>, tensor<2x2xf32>) outs(%[[INIT_NHWC]] : tensor<1x3x3x8xf32>)
// CHECK: %[[OUT:.*]] = linalg.transpose ins(%[[POOL]] : tensor<1x3x3x8xf32>) {{.*}} permutation = [0, 3, 1, 2]
// CHECK-NOT: linalg.pooling_nchw_max
// CHECK: return %[[OUT]] : tensor<1x8x3x3xf32>
func.func @max_pool(%x: tensor<1x8x6x6xf32>, %init: tensor<1x8x3x3xf32>) -> tensor<1x8x3x3xf32> {
  %win = tensor.empty() : tensor<2x2xf32>
  %r = linalg.pooling_nchw_max {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %win : tensor<1x8x6x6xf32>, tensor<2x2xf32>) outs(%init : tensor<1x8x3x3xf32>) -> tensor<1x8x3x3xf32>
  return %r : tensor<1x8x3x3xf32>
}

// -----

// Must not change: a dynamically shaped convolution.
// CHECK-LABEL: func.func @conv_dynamic
// CHECK-NOT: linalg.transpose
// CHECK: %[[R:.*]] = linalg.conv_2d_nchw_fchw
// CHECK-SAME: ins(%{{.*}}, %{{.*}} : tensor<?x4x6x6xf32>, tensor<8x4x3x3xf32>) outs(%{{.*}} : tensor<?x8x4x4xf32>)
// CHECK-NOT: linalg.transpose
// CHECK-NOT: linalg.conv_2d_nhwc_hwcf
// CHECK: return %[[R]]
func.func @conv_dynamic(%x: tensor<?x4x6x6xf32>, %w: tensor<8x4x3x3xf32>, %init: tensor<?x8x4x4xf32>) -> tensor<?x8x4x4xf32> {
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<?x4x6x6xf32>, tensor<8x4x3x3xf32>) outs(%init : tensor<?x8x4x4xf32>) -> tensor<?x8x4x4xf32>
  return %r : tensor<?x8x4x4xf32>
}

// The pass has no options.
// ERR: error: pass 'kiln-conv-to-nhwc' has no option 'layout'
