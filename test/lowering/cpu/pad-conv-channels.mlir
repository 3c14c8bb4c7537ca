// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-pad-conv-channels{vector-width=16})' | FileCheck %s
// RUN: not kiln-opt %s --pass-pipeline='builtin.module(kiln-pad-conv-channels{vector-width=5})' 2>&1 | FileCheck %s --check-prefix=ERR

// 67 input channels (a prime over 64: a reduction step of one channel) and 366 output
// channels (blocks of 61 lanes): the input gets 5 zero channels, the filter zero rows
// and columns (72 x 368), the bias broadcast is made at 368 channels, the epilogue runs
// over 368 channels and the result is sliced back to 366.
#ch = affine_map<(d0, d1, d2, d3) -> (d3)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @odd_channels
// CHECK-SAME: (%[[X:.*]]: tensor<1x28x28x67xf32>, %[[W:.*]]: tensor<1x1x67x366xf32>, %[[B:.*]]: tensor<366xf32>)
// CHECK-DAG: %[[PX:.*]] = tensor.pad %[[X]] low[0, 0, 0, 0] high[0, 0, 0, 5]
// CHECK-DAG: %[[PW:.*]] = tensor.pad %[[W]] low[0, 0, 0, 0] high[0, 0, 5, 2]
// CHECK-DAG: %[[PB:.*]] = tensor.pad %[[B]] low[0] high[2]
// CHECK: %[[INIT:.*]] = linalg.generic {{.*}} ins(%[[PB]] : tensor<368xf32>) outs(%{{.*}} : tensor<1x28x28x368xf32>)
// CHECK: %[[CONV:.*]] = linalg.conv_2d_nhwc_hwcf
// CHECK-SAME: ins(%[[PX]], %[[PW]] : tensor<1x28x28x72xf32>, tensor<1x1x72x368xf32>) outs(%[[INIT]] : tensor<1x28x28x368xf32>)
// CHECK: %[[EPI:.*]] = linalg.generic {{.*}} ins(%[[CONV]] : tensor<1x28x28x368xf32>)
// CHECK: arith.mulf
// CHECK: %[[OUT:.*]] = tensor.extract_slice %[[EPI]][0, 0, 0, 0] [1, 28, 28, 366] [1, 1, 1, 1]
// CHECK: return %[[OUT]]
func.func @odd_channels(%x: tensor<1x28x28x67xf32>, %w: tensor<1x1x67x366xf32>, %b: tensor<366xf32>) -> tensor<1x28x28x366xf32> {
  %e = tensor.empty() : tensor<1x28x28x366xf32>
  %init = linalg.generic {indexing_maps = [#ch, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%b : tensor<366xf32>) outs(%e : tensor<1x28x28x366xf32>) {
  ^bb0(%v: f32, %o: f32):
    linalg.yield %v : f32
  } -> tensor<1x28x28x366xf32>
  %c = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x28x28x67xf32>, tensor<1x1x67x366xf32>) outs(%init : tensor<1x28x28x366xf32>) -> tensor<1x28x28x366xf32>
  %y = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c : tensor<1x28x28x366xf32>) outs(%e : tensor<1x28x28x366xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %a : f32
    linalg.yield %m : f32
  } -> tensor<1x28x28x366xf32>
  return %y : tensor<1x28x28x366xf32>
}

// -----

// A constant filter is padded at compile time: a new constant of the padded shape,
// zeros in the 2 added filters (30 -> 32 output channels).
// CHECK-LABEL: func.func @constant_filter
// CHECK: %[[W:.*]] = arith.constant dense<{{.*}}> : tensor<1x1x8x32xf32>
// CHECK: linalg.conv_2d_nhwc_hwcf {{.*}} ins(%{{.*}}, %[[W]] : tensor<1x4x4x8xf32>, tensor<1x1x8x32xf32>)
// CHECK: tensor.extract_slice %{{.*}}[0, 0, 0, 0] [1, 4, 4, 30] [1, 1, 1, 1]
func.func @constant_filter(%x: tensor<1x4x4x8xf32>) -> tensor<1x4x4x30xf32> {
  %w = arith.constant dense<0.5> : tensor<1x1x8x30xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x4x4x30xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<1x4x4x30xf32>) -> tensor<1x4x4x30xf32>
  %c = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x4x4x8xf32>, tensor<1x1x8x30xf32>) outs(%acc : tensor<1x4x4x30xf32>) -> tensor<1x4x4x30xf32>
  return %c : tensor<1x4x4x30xf32>
}

// -----

// A depthwise convolution over 366 channels, its input inserted into a zero fill for
// padding 1: the fill is made at 368 channels (the input inserted as it is), the filter
// padded, the result sliced back.
// CHECK-LABEL: func.func @depthwise
// CHECK: %[[FILL:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<1x30x30x368xf32>)
// CHECK: %[[IN:.*]] = tensor.insert_slice %{{.*}} into %[[FILL]][0, 1, 1, 0] [1, 28, 28, 366] [1, 1, 1, 1] : tensor<1x28x28x366xf32> into tensor<1x30x30x368xf32>
// CHECK: %[[DW:.*]] = linalg.depthwise_conv_2d_nhwc_hwc
// CHECK-SAME: ins(%[[IN]], %{{.*}} : tensor<1x30x30x368xf32>, tensor<3x3x368xf32>) outs(%{{.*}} : tensor<1x28x28x368xf32>)
// CHECK: tensor.extract_slice %[[DW]][0, 0, 0, 0] [1, 28, 28, 366] [1, 1, 1, 1]
func.func @depthwise(%x: tensor<1x28x28x366xf32>, %w: tensor<3x3x366xf32>) -> tensor<1x28x28x366xf32> {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<1x30x30x366xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e0 : tensor<1x30x30x366xf32>) -> tensor<1x30x30x366xf32>
  %in = tensor.insert_slice %x into %z[0, 1, 1, 0] [1, 28, 28, 366] [1, 1, 1, 1] : tensor<1x28x28x366xf32> into tensor<1x30x30x366xf32>
  %e = tensor.empty() : tensor<1x28x28x366xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<1x28x28x366xf32>) -> tensor<1x28x28x366xf32>
  %c = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%in, %w : tensor<1x30x30x366xf32>, tensor<3x3x366xf32>) outs(%acc : tensor<1x28x28x366xf32>) -> tensor<1x28x28x366xf32>
  return %c : tensor<1x28x28x366xf32>
}

// -----

// 27 output channels would take 5 more (over 1/8 of the work) and 16 input channels
// reduce whole; 122 input channels beside 64 output channels reduce 61 a step: nothing
// changes.
// CHECK-LABEL: func.func @kept
// CHECK-NOT: tensor.pad
// CHECK-NOT: tensor.extract_slice
// CHECK: linalg.conv_2d_nhwc_hwcf {{.*}} -> tensor<1x14x14x27xf32>
// CHECK: linalg.conv_2d_nhwc_hwcf {{.*}} -> tensor<1x14x14x64xf32>
func.func @kept(%x: tensor<1x14x14x16xf32>, %w: tensor<1x1x16x27xf32>, %y: tensor<1x14x14x122xf32>, %v: tensor<1x1x122x64xf32>) -> (tensor<1x14x14x27xf32>, tensor<1x14x14x64xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x14x14x27xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<1x14x14x27xf32>) -> tensor<1x14x14x27xf32>
  %c = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x14x14x16xf32>, tensor<1x1x16x27xf32>) outs(%acc : tensor<1x14x14x27xf32>) -> tensor<1x14x14x27xf32>
  %e2 = tensor.empty() : tensor<1x14x14x64xf32>
  %acc2 = linalg.fill ins(%zero : f32) outs(%e2 : tensor<1x14x14x64xf32>) -> tensor<1x14x14x64xf32>
  %d = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%y, %v : tensor<1x14x14x122xf32>, tensor<1x1x122x64xf32>) outs(%acc2 : tensor<1x14x14x64xf32>) -> tensor<1x14x14x64xf32>
  return %c, %d : tensor<1x14x14x27xf32>, tensor<1x14x14x64xf32>
}

// ERR: kiln-pad-conv-channels: vector-width must be 4, 8 or 16, got 5
