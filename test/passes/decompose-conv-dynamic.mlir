// RUN: kiln-opt %s --pass-pipeline='builtin.module(kiln-decompose-conv)' | FileCheck %s

// A convolution with a dynamic batch is left alone (it becomes loops later):
// im2col needs static shapes.
// CHECK-LABEL: func.func @conv_dynamic_batch
// CHECK: linalg.conv_2d_nchw_fchw
// CHECK-NOT: linalg.generic
func.func @conv_dynamic_batch(%x: tensor<?x4x6x6xf32>, %w: tensor<8x4x3x3xf32>, %c: tensor<?x8x4x4xf32>) -> tensor<?x8x4x4xf32> {
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<?x4x6x6xf32>, tensor<8x4x3x3xf32>) outs(%c : tensor<?x8x4x4xf32>) -> tensor<?x8x4x4xf32>
  return %r : tensor<?x8x4x4xf32>
}
