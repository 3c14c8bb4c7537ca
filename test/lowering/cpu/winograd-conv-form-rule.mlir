// RUN: kiln-opt %s --pass-pipeline='builtin.module(kiln-winograd-conv{tile=2 min-size=1 separable-above=1})' | FileCheck %s --check-prefix=SEP
// RUN: kiln-opt %s --pass-pipeline='builtin.module(kiln-winograd-conv{tile=2 min-size=1 separable-above=2})' | FileCheck %s --check-prefix=TWOD

// The form is the module's: two rewritten convolutions, above separable-above=1,
// both get separable transforms (their output transforms: a column and a row pass
// of m = 2 results each); at separable-above=2 both keep the 2-D form (the input
// transform one generic of 16 results, the output transform one of 4).
// SEP-LABEL: func.func @two
// SEP-NOT: :16 = linalg.generic
// SEP-COUNT-4: :2 = linalg.generic
// SEP-NOT: :16 = linalg.generic
// TWOD-LABEL: func.func @two
// TWOD-COUNT-2: :16 = linalg.generic
// TWOD-NOT: :2 = linalg.generic
func.func @two(%x: tensor<1x10x10x32xf32>, %init: tensor<1x8x8x32xf32>) -> (tensor<1x8x8x32xf32>, tensor<1x8x8x32xf32>) {
  %w = arith.constant dense<0.5> : tensor<3x3x32x32xf32>
  %v = arith.constant dense<0.25> : tensor<3x3x32x32xf32>
  %a = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x10x10x32xf32>, tensor<3x3x32x32xf32>) outs(%init : tensor<1x8x8x32xf32>) -> tensor<1x8x8x32xf32>
  %b = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %v : tensor<1x10x10x32xf32>, tensor<3x3x32x32xf32>) outs(%init : tensor<1x8x8x32xf32>) -> tensor<1x8x8x32xf32>
  return %a, %b : tensor<1x8x8x32xf32>, tensor<1x8x8x32xf32>
}
