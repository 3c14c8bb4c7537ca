// RUN: kiln-opt %s --pass-pipeline='builtin.module(kiln-conv-to-nhwc)' | FileCheck %s
// Regression (fixed): _pad_like uses the value yielded by the tensor.pad region as the fill
// value; when that value is defined inside the region, the new linalg.fill
// uses it outside its region ("operand #0 does not dominate this use").
// Correct: the padded conv still becomes NHWC and the IR verifies (clone the
// pad value in front of the fill, or keep the pad and transpose its result).

// CHECK-LABEL: func.func @pad_value_in_region
// CHECK-NOT: linalg.conv_2d_nchw_fchw
// CHECK: linalg.conv_2d_nhwc_hwcf
// CHECK-SAME: ins(%{{.*}}, %{{.*}} : tensor<1x8x8x4xf32>, tensor<3x3x4x8xf32>)
func.func @pad_value_in_region(%x: tensor<1x4x6x6xf32>, %w: tensor<8x4x3x3xf32>, %init: tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32> {
  %p = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    %zero = arith.constant 0.0 : f32
    tensor.yield %zero : f32
  } : tensor<1x4x6x6xf32> to tensor<1x4x8x8xf32>
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%p, %w : tensor<1x4x8x8xf32>, tensor<8x4x3x3xf32>) outs(%init : tensor<1x8x6x6xf32>) -> tensor<1x8x6x6xf32>
  return %r : tensor<1x8x6x6xf32>
}
