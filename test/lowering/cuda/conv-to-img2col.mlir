// RUN: kiln-opt %s --pass-pipeline='builtin.module(kiln-conv-to-img2col,kiln-gather-to-extract,func.func(linalg-fold-unit-extent-dims),kiln-specialize-contractions,canonicalize)' | FileCheck %s

// A batch-1 NCHW convolution becomes an im2col gather (explicit extracts from the image:
// its floordiv/mod map is not tileable) and a matmul of the filter by the columns.
// CHECK-LABEL: func.func @conv
// CHECK-SAME: (%[[X:.*]]: tensor<1x4x10x10xf32>, %[[F:.*]]: tensor<8x4x3x3xf32>)
// CHECK-NOT: linalg.conv_2d
// CHECK: %[[COLS:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<36x64xf32>)
// CHECK: linalg.index 0
// CHECK: affine.apply
// CHECK: tensor.extract %[[X]][%c0, {{.*}}] : tensor<1x4x10x10xf32>
// CHECK: linalg.matmul ins(%{{.*}}, %[[COLS]] : tensor<8x36xf32>, tensor<36x64xf32>) outs(%{{.*}} : tensor<8x64xf32>)
func.func @conv(%x: tensor<1x4x10x10xf32>, %f: tensor<8x4x3x3xf32>) -> tensor<1x8x8x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x8x8x8xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
      ins(%x, %f : tensor<1x4x10x10xf32>, tensor<8x4x3x3xf32>) outs(%init : tensor<1x8x8x8xf32>) -> tensor<1x8x8x8xf32>
  return %y : tensor<1x8x8x8xf32>
}
