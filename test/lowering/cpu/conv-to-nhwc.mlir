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

// -----

// A depthwise convolution runs as linalg.depthwise_conv_2d_nhwc_hwc, its
// C x KH x KW filter as KH x KW x C (each pixel's channels one vector, each
// multiplied by its own tap), strides and dilations kept; the padding is
// redone after the transpose as for any convolution.
// CHECK-LABEL: func.func @depthwise
// CHECK-SAME: (%[[X:.*]]: tensor<1x24x7x7xf32>, %[[W:.*]]: tensor<24x5x5xf32>, %[[INIT:.*]]: tensor<1x24x4x4xf32>)
// CHECK: %[[X_NHWC:.*]] = linalg.transpose ins(%[[X]] : tensor<1x24x7x7xf32>) {{.*}} permutation = [0, 2, 3, 1]
// CHECK: %[[PADDED:.*]] = tensor.insert_slice %[[X_NHWC]] into %{{.*}}[0, 2, 2, 0] [1, 7, 7, 24] [1, 1, 1, 1] : tensor<1x7x7x24xf32> into tensor<1x11x11x24xf32>
// CHECK: %[[INIT_NHWC:.*]] = linalg.transpose ins(%[[INIT]] : tensor<1x24x4x4xf32>) {{.*}} permutation = [0, 2, 3, 1]
// CHECK: %[[W_HWC:.*]] = linalg.transpose ins(%[[W]] : tensor<24x5x5xf32>) outs(%{{.*}} : tensor<5x5x24xf32>) permutation = [1, 2, 0]
// CHECK: %[[CONV:.*]] = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
// CHECK-SAME: ins(%[[PADDED]], %[[W_HWC]] : tensor<1x11x11x24xf32>, tensor<5x5x24xf32>) outs(%[[INIT_NHWC]] : tensor<1x4x4x24xf32>)
// CHECK: %[[OUT:.*]] = linalg.transpose ins(%[[CONV]] : tensor<1x4x4x24xf32>) {{.*}} permutation = [0, 3, 1, 2]
// CHECK-NOT: linalg.depthwise_conv_2d_nchw_chw
// CHECK: return %[[OUT]] : tensor<1x24x4x4xf32>
func.func @depthwise(%x: tensor<1x24x7x7xf32>, %w: tensor<24x5x5xf32>, %init: tensor<1x24x4x4xf32>) -> tensor<1x24x4x4xf32> {
  %zero = arith.constant 0.0 : f32
  %p = tensor.pad %x low[0, 0, 2, 2] high[0, 0, 2, 2] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %zero : f32
  } : tensor<1x24x7x7xf32> to tensor<1x24x11x11xf32>
  %r = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%p, %w : tensor<1x24x11x11xf32>, tensor<24x5x5xf32>) outs(%init : tensor<1x24x4x4xf32>) -> tensor<1x24x4x4xf32>
  return %r : tensor<1x24x4x4xf32>
}

// -----

// A grouped convolution (4 groups of 2 -> 3 channels) as torch-mlir writes it:
// the 4-D input padded, then split N x G x C x H x W. It becomes kiln's grouped
// form: the NHWC input (padded after the transpose) split N x H x W x G x C,
// the filter G x KH x KW x C x F, the output N x OH x OW x G x F collapsed to
// NHWC and transposed back; the generic's input map carries the stride (2)
// and dilation (2).
// CHECK-DAG: #[[$IN:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1 * 2 + d5 * 2, d2 * 2 + d6 * 2, d3, d7)>
// CHECK-DAG: #[[$FILTER:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d3, d5, d6, d7, d4)>
// CHECK-DAG: #[[$OUTMAP:.*]] = affine_map<(d0, d1, d2, d3, d4, d5, d6, d7) -> (d0, d1, d2, d3, d4)>
// CHECK-LABEL: func.func @grouped
// CHECK-SAME: (%[[X:.*]]: tensor<1x8x9x9xf32>, %[[W:.*]]: tensor<4x3x2x3x3xf32>, %[[INIT:.*]]: tensor<1x4x3x5x5xf32>)
// CHECK: %[[X_NHWC:.*]] = linalg.transpose ins(%[[X]] : tensor<1x8x9x9xf32>) {{.*}} permutation = [0, 2, 3, 1]
// CHECK: %[[PADDED:.*]] = tensor.insert_slice %[[X_NHWC]] into %{{.*}}[0, 2, 2, 0] [1, 9, 9, 8] [1, 1, 1, 1] : tensor<1x9x9x8xf32> into tensor<1x13x13x8xf32>
// CHECK: %[[X5:.*]] = tensor.expand_shape %[[PADDED]] {{\[\[}}0], [1], [2], [3, 4]] output_shape [1, 13, 13, 4, 2]
// CHECK: %[[W5:.*]] = linalg.transpose ins(%[[W]] : tensor<4x3x2x3x3xf32>) outs(%{{.*}} : tensor<4x3x3x2x3xf32>) permutation = [0, 3, 4, 2, 1]
// CHECK: %[[INIT4:.*]] = tensor.collapse_shape %[[INIT]] {{\[\[}}0], [1, 2], [3], [4]]
// CHECK: %[[INIT_NHWC:.*]] = linalg.transpose ins(%[[INIT4]] : tensor<1x12x5x5xf32>) {{.*}} permutation = [0, 2, 3, 1]
// CHECK: %[[INIT5:.*]] = tensor.expand_shape %[[INIT_NHWC]] {{\[\[}}0], [1], [2], [3, 4]] output_shape [1, 5, 5, 4, 3]
// CHECK: %[[CONV:.*]] = linalg.generic {indexing_maps = [#[[$IN]], #[[$FILTER]], #[[$OUTMAP]]], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
// CHECK-SAME: ins(%[[X5]], %[[W5]] : tensor<1x13x13x4x2xf32>, tensor<4x3x3x2x3xf32>) outs(%[[INIT5]] : tensor<1x5x5x4x3xf32>)
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK: %[[OUT4:.*]] = tensor.collapse_shape %[[CONV]] {{\[\[}}0], [1], [2], [3, 4]]
// CHECK: %[[OUT_NCHW:.*]] = linalg.transpose ins(%[[OUT4]] : tensor<1x5x5x12xf32>) {{.*}} permutation = [0, 3, 1, 2]
// CHECK: %[[OUT:.*]] = tensor.expand_shape %[[OUT_NCHW]] {{\[\[}}0], [1, 2], [3], [4]] output_shape [1, 4, 3, 5, 5]
// CHECK-NOT: linalg.conv_2d_ngchw_gfchw
// CHECK: return %[[OUT]] : tensor<1x4x3x5x5xf32>
func.func @grouped(%x: tensor<1x8x9x9xf32>, %w: tensor<4x3x2x3x3xf32>, %init: tensor<1x4x3x5x5xf32>) -> tensor<1x4x3x5x5xf32> {
  %zero = arith.constant 0.0 : f32
  %p = tensor.pad %x low[0, 0, 2, 2] high[0, 0, 2, 2] {
  ^bb0(%a: index, %b: index, %c: index, %d: index):
    tensor.yield %zero : f32
  } : tensor<1x8x9x9xf32> to tensor<1x8x13x13xf32>
  %g = tensor.expand_shape %p [[0], [1, 2], [3], [4]] output_shape [1, 4, 2, 13, 13] : tensor<1x8x13x13xf32> into tensor<1x4x2x13x13xf32>
  %r = linalg.conv_2d_ngchw_gfchw {dilations = dense<2> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%g, %w : tensor<1x4x2x13x13xf32>, tensor<4x3x2x3x3xf32>) outs(%init : tensor<1x4x3x5x5xf32>) -> tensor<1x4x3x5x5xf32>
  return %r : tensor<1x4x3x5x5xf32>
}

// -----

// Must not change: a dynamically shaped grouped convolution.
// CHECK-LABEL: func.func @grouped_dynamic
// CHECK-NOT: linalg.transpose
// CHECK: %[[R:.*]] = linalg.conv_2d_ngchw_gfchw
// CHECK-NOT: linalg.transpose
// CHECK: return %[[R]]
func.func @grouped_dynamic(%x: tensor<?x4x2x5x5xf32>, %w: tensor<4x3x2x3x3xf32>, %init: tensor<?x4x3x3x3xf32>) -> tensor<?x4x3x3x3xf32> {
  %r = linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<?x4x2x5x5xf32>, tensor<4x3x2x3x3xf32>) outs(%init : tensor<?x4x3x3x3xf32>) -> tensor<?x4x3x3x3xf32>
  return %r : tensor<?x4x3x3x3xf32>
}

// -----

// torch-mlir accumulates an f16 convolution in f32: the grouped form's block
// arguments keep the operands' types and the inputs are extended (they were
// all typed f32 once, which the verifier rejected).
// CHECK-LABEL: func.func @grouped_f16_into_f32
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}}, %{{.*}} : tensor<1x5x5x2x4xf16>, tensor<2x3x3x4x4xf16>) outs(%{{.*}} : tensor<1x3x3x2x4xf32>)
// CHECK-NEXT: ^bb0(%[[X:.*]]: f16, %[[W:.*]]: f16, %[[ACC:.*]]: f32):
// CHECK-NEXT: %[[XE:.*]] = arith.extf %[[X]] : f16 to f32
// CHECK-NEXT: %[[WE:.*]] = arith.extf %[[W]] : f16 to f32
// CHECK-NEXT: %[[MUL:.*]] = arith.mulf %[[XE]], %[[WE]] : f32
// CHECK-NEXT: %[[ADD:.*]] = arith.addf %[[ACC]], %[[MUL]] : f32
// CHECK-NEXT: linalg.yield %[[ADD]] : f32
// CHECK-NOT: linalg.conv_2d_ngchw_gfchw
func.func @grouped_f16_into_f32(%x: tensor<1x2x4x5x5xf16>, %w: tensor<2x4x4x3x3xf16>, %init: tensor<1x2x4x3x3xf32>) -> tensor<1x2x4x3x3xf32> {
  %r = linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x2x4x5x5xf16>, tensor<2x4x4x3x3xf16>) outs(%init : tensor<1x2x4x3x3xf32>) -> tensor<1x2x4x3x3xf32>
  return %r : tensor<1x2x4x3x3xf32>
}

// -----

// Integers: sign-extended, multiplied and added as integers.
// CHECK-LABEL: func.func @grouped_i8_into_i32
// CHECK: ^bb0(%[[X:.*]]: i8, %[[W:.*]]: i8, %[[ACC:.*]]: i32):
// CHECK-NEXT: %[[XE:.*]] = arith.extsi %[[X]] : i8 to i32
// CHECK-NEXT: %[[WE:.*]] = arith.extsi %[[W]] : i8 to i32
// CHECK-NEXT: %[[MUL:.*]] = arith.muli %[[XE]], %[[WE]] : i32
// CHECK-NEXT: %[[ADD:.*]] = arith.addi %[[ACC]], %[[MUL]] : i32
// CHECK-NEXT: linalg.yield %[[ADD]] : i32
func.func @grouped_i8_into_i32(%x: tensor<1x2x4x5x5xi8>, %w: tensor<2x4x4x3x3xi8>, %init: tensor<1x2x4x3x3xi32>) -> tensor<1x2x4x3x3xi32> {
  %r = linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x2x4x5x5xi8>, tensor<2x4x4x3x3xi8>) outs(%init : tensor<1x2x4x3x3xi32>) -> tensor<1x2x4x3x3xi32>
  return %r : tensor<1x2x4x3x3xi32>
}

// The pass has no options.
// ERR: error: pass 'kiln-conv-to-nhwc' has no option 'layout'
