// XFAIL: *
// Bug: on a convolution it cannot decompose (dynamic batch), kiln-decompose-conv
// fails with the transform interpreter's text ('Failed to apply named transform
// sequence ... at loc("-":N:M)') prefixed by the file name only, instead of a
// diagnostic at the convolution's file:line:col.
// RUN: not kiln-opt %s --pass-pipeline='builtin.module(kiln-decompose-conv)' 2>&1 | FileCheck %s

// CHECK: decompose-conv-dynamic.mlir:[[# @LINE + 3]]:{{[0-9]+}}: error:
// CHECK-NOT: "-":
func.func @conv_dynamic_batch(%x: tensor<?x4x6x6xf32>, %w: tensor<8x4x3x3xf32>, %c: tensor<?x8x4x4xf32>) -> tensor<?x8x4x4xf32> {
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<?x4x6x6xf32>, tensor<8x4x3x3xf32>) outs(%c : tensor<?x8x4x4xf32>) -> tensor<?x8x4x4xf32>
  return %r : tensor<?x8x4x4xf32>
}
