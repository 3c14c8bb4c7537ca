// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-conv-1d-to-2d)' | FileCheck %s
// RUN: not kiln-opt %s --pass-pipeline='builtin.module(kiln-conv-1d-to-2d{rows=1})' 2>&1 | FileCheck %s --check-prefix=ERR

// NCW: a unit height before W; stride and dilation gain a leading 1.
// CHECK-LABEL: func.func @ncw
// CHECK-SAME: (%[[X:.*]]: tensor<1x80x256xf32>, %[[W:.*]]: tensor<384x80x3xf32>, %[[O:.*]]: tensor<1x384x126xf32>)
// CHECK-DAG: %[[X4:.*]] = tensor.expand_shape %[[X]] {{\[\[}}0], [1], [2, 3]] output_shape [1, 80, 1, 256]
// CHECK-DAG: %[[W4:.*]] = tensor.expand_shape %[[W]] {{\[\[}}0], [1], [2, 3]] output_shape [384, 80, 1, 3]
// CHECK-DAG: %[[O4:.*]] = tensor.expand_shape %[[O]] {{\[\[}}0], [1], [2, 3]] output_shape [1, 384, 1, 126]
// CHECK: %[[C:.*]] = linalg.conv_2d_nchw_fchw {dilations = dense<[1, 2]> : tensor<2xi64>, strides = dense<[1, 2]> : tensor<2xi64>}
// CHECK-SAME: ins(%[[X4]], %[[W4]] : tensor<1x80x1x256xf32>, tensor<384x80x1x3xf32>) outs(%[[O4]] : tensor<1x384x1x126xf32>)
// CHECK: %[[R:.*]] = tensor.collapse_shape %[[C]] {{\[\[}}0], [1], [2, 3]] : tensor<1x384x1x126xf32> into tensor<1x384x126xf32>
// CHECK: return %[[R]]
func.func @ncw(%x: tensor<1x80x256xf32>, %w: tensor<384x80x3xf32>, %o: tensor<1x384x126xf32>) -> tensor<1x384x126xf32> {
  %r = linalg.conv_1d_ncw_fcw {dilations = dense<2> : vector<1xi64>, strides = dense<2> : vector<1xi64>}
      ins(%x, %w : tensor<1x80x256xf32>, tensor<384x80x3xf32>) outs(%o : tensor<1x384x126xf32>) -> tensor<1x384x126xf32>
  return %r : tensor<1x384x126xf32>
}

// -----

// NWC: the unit height before W (after N); the filter's before K.
// CHECK-LABEL: func.func @nwc
// CHECK: tensor.expand_shape %{{.*}} {{\[\[}}0, 1], [2], [3]] output_shape [1, 3, 8, 16] : tensor<3x8x16xf32>
// CHECK: linalg.conv_2d_nhwc_hwcf
// CHECK-SAME: ins(%{{.*}}, %{{.*}} : tensor<2x1x10x8xf32>, tensor<1x3x8x16xf32>) outs(%{{.*}} : tensor<2x1x8x16xf32>)
// CHECK: tensor.collapse_shape %{{.*}} {{\[\[}}0], [1, 2], [3]] : tensor<2x1x8x16xf32> into tensor<2x8x16xf32>
func.func @nwc(%x: tensor<2x10x8xf32>, %w: tensor<3x8x16xf32>, %o: tensor<2x8x16xf32>) -> tensor<2x8x16xf32> {
  %r = linalg.conv_1d_nwc_wcf {dilations = dense<1> : tensor<1xi64>, strides = dense<1> : tensor<1xi64>}
      ins(%x, %w : tensor<2x10x8xf32>, tensor<3x8x16xf32>) outs(%o : tensor<2x8x16xf32>) -> tensor<2x8x16xf32>
  return %r : tensor<2x8x16xf32>
}

// -----

// Depthwise, both layouts.
// CHECK-LABEL: func.func @depthwise
// CHECK: linalg.depthwise_conv_2d_nchw_chw
// CHECK-SAME: ins(%{{.*}}, %{{.*}} : tensor<1x64x1x100xf32>, tensor<64x1x31xf32>) outs(%{{.*}} : tensor<1x64x1x70xf32>)
// CHECK: linalg.depthwise_conv_2d_nhwc_hwc
// CHECK-SAME: ins(%{{.*}}, %{{.*}} : tensor<1x1x100x64xf32>, tensor<1x31x64xf32>) outs(%{{.*}} : tensor<1x1x70x64xf32>)
// CHECK-NOT: conv_1d
func.func @depthwise(%x: tensor<1x64x100xf32>, %w: tensor<64x31xf32>, %o: tensor<1x64x70xf32>,
                     %y: tensor<1x100x64xf32>, %v: tensor<31x64xf32>, %p: tensor<1x70x64xf32>) -> (tensor<1x64x70xf32>, tensor<1x70x64xf32>) {
  %a = linalg.depthwise_conv_1d_ncw_cw {dilations = dense<1> : tensor<1xi64>, strides = dense<1> : tensor<1xi64>}
      ins(%x, %w : tensor<1x64x100xf32>, tensor<64x31xf32>) outs(%o : tensor<1x64x70xf32>) -> tensor<1x64x70xf32>
  %b = linalg.depthwise_conv_1d_nwc_wc {dilations = dense<1> : tensor<1xi64>, strides = dense<1> : tensor<1xi64>}
      ins(%y, %v : tensor<1x100x64xf32>, tensor<31x64xf32>) outs(%p : tensor<1x70x64xf32>) -> tensor<1x70x64xf32>
  return %a, %b : tensor<1x64x70xf32>, tensor<1x70x64xf32>
}

// -----

// A dynamic batch is left as it is (correct, not scheduled).
// CHECK-LABEL: func.func @dynamic
// CHECK: linalg.conv_1d_ncw_fcw
// CHECK-NOT: conv_2d
func.func @dynamic(%x: tensor<?x4x10xf32>, %w: tensor<8x4x3xf32>, %o: tensor<?x8x8xf32>) -> tensor<?x8x8xf32> {
  %r = linalg.conv_1d_ncw_fcw {dilations = dense<1> : tensor<1xi64>, strides = dense<1> : tensor<1xi64>}
      ins(%x, %w : tensor<?x4x10xf32>, tensor<8x4x3xf32>) outs(%o : tensor<?x8x8xf32>) -> tensor<?x8x8xf32>
  return %r : tensor<?x8x8xf32>
}

// ERR: error: pass 'kiln-conv-1d-to-2d' has no option 'rows'
