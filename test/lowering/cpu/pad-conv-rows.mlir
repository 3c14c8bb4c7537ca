// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-pad-conv-rows)' | FileCheck %s
// RUN: not kiln-opt %s --pass-pipeline='builtin.module(kiln-pad-conv-rows{width=4})' 2>&1 | FileCheck %s --check-prefix=ERR

// 13 output pixels a row: no pixel block divides 13, so the row is padded to 16
// (4-pixel blocks). The input gets 3 zero columns, the fill is made at 16, the
// residual add + ReLU runs over 16 too (the residual padded with zeros) and the
// result is sliced back to 13.
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @relu_residual
// CHECK-SAME: (%[[X:.*]]: tensor<1x13x13x8xf32>, %[[W:.*]]: tensor<1x1x8x16xf32>, %[[R:.*]]: tensor<1x13x13x16xf32>)
// CHECK: %[[PX:.*]] = tensor.pad %[[X]] low[0, 0, 0, 0] high[0, 0, 3, 0]
// CHECK: %[[FILL:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<1x13x16x16xf32>)
// CHECK: %[[CONV:.*]] = linalg.conv_2d_nhwc_hwcf
// CHECK-SAME: ins(%[[PX]], %[[W]] : tensor<1x13x16x8xf32>, tensor<1x1x8x16xf32>) outs(%[[FILL]] : tensor<1x13x16x16xf32>)
// CHECK: %[[PR:.*]] = tensor.pad %[[R]] low[0, 0, 0, 0] high[0, 0, 3, 0]
// CHECK: %[[EPI:.*]] = linalg.generic
// CHECK-SAME: ins(%[[CONV]], %[[PR]] : tensor<1x13x16x16xf32>, tensor<1x13x16x16xf32>)
// CHECK: arith.maximumf
// CHECK: %[[OUT:.*]] = tensor.extract_slice %[[EPI]][0, 0, 0, 0] [1, 13, 13, 16] [1, 1, 1, 1]
// CHECK: return %[[OUT]]
func.func @relu_residual(%x: tensor<1x13x13x8xf32>, %w: tensor<1x1x8x16xf32>, %r: tensor<1x13x13x16xf32>) -> tensor<1x13x13x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x13x13x16xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<1x13x13x16xf32>) -> tensor<1x13x13x16xf32>
  %c = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x13x13x8xf32>, tensor<1x1x8x16xf32>) outs(%acc : tensor<1x13x13x16xf32>) -> tensor<1x13x13x16xf32>
  %y = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c, %r : tensor<1x13x13x16xf32>, tensor<1x13x13x16xf32>) outs(%e : tensor<1x13x13x16xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    %m = arith.maximumf %s, %zero : f32
    linalg.yield %m : f32
  } -> tensor<1x13x13x16xf32>
  return %y : tensor<1x13x13x16xf32>
}

// -----

// A 3x3 stride-2 convolution from 35 to 17 pixels: padded to 18 (6-pixel blocks), its
// input needs (18 - 1) * 2 + 3 = 37 columns (2 more). The inserted-into-a-fill input
// (conv-to-nhwc's padding) is inserted into a wider fill, and the bias broadcast
// destination is built at 18 pixels, neither copied into a padded tensor.
#idb = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#chb = affine_map<(d0, d1, d2, d3) -> (d3)>
// CHECK-LABEL: func.func @strided_bias
// CHECK-NOT: tensor.pad
// CHECK: %[[WIDE:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%{{.*}} : tensor<1x35x37x4xf32>)
// CHECK: %[[IN:.*]] = tensor.insert_slice %{{.*}} into %[[WIDE]][0, 0, 0, 0] [1, 35, 35, 4] [1, 1, 1, 1] : tensor<1x35x35x4xf32> into tensor<1x35x37x4xf32>
// CHECK: %[[BIAS:.*]] = linalg.generic
// CHECK-SAME: outs(%{{.*}} : tensor<1x17x18x16xf32>)
// CHECK: linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
// CHECK-SAME: ins(%[[IN]], %{{.*}} : tensor<1x35x37x4xf32>, tensor<3x3x4x16xf32>) outs(%[[BIAS]] : tensor<1x17x18x16xf32>)
// CHECK: tensor.extract_slice %{{.*}}[0, 0, 0, 0] [1, 17, 17, 16] [1, 1, 1, 1]
func.func @strided_bias(%x: tensor<1x35x35x4xf32>, %w: tensor<3x3x4x16xf32>, %b: tensor<16xf32>) -> tensor<1x17x17x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e0 = tensor.empty() : tensor<1x35x35x4xf32>
  %z = linalg.fill ins(%zero : f32) outs(%e0 : tensor<1x35x35x4xf32>) -> tensor<1x35x35x4xf32>
  %in = tensor.insert_slice %x into %z[0, 0, 0, 0] [1, 35, 35, 4] [1, 1, 1, 1] : tensor<1x35x35x4xf32> into tensor<1x35x35x4xf32>
  %e = tensor.empty() : tensor<1x17x17x16xf32>
  %init = linalg.generic {indexing_maps = [#chb, #idb], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%b : tensor<16xf32>) outs(%e : tensor<1x17x17x16xf32>) {
  ^bb0(%v: f32, %o: f32):
    linalg.yield %v : f32
  } -> tensor<1x17x17x16xf32>
  %c = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%in, %w : tensor<1x35x35x4xf32>, tensor<3x3x4x16xf32>) outs(%init : tensor<1x17x17x16xf32>) -> tensor<1x17x17x16xf32>
  return %c : tensor<1x17x17x16xf32>
}

// -----

// 12 pixels: 4-pixel blocks divide the row; nothing changes.
// CHECK-LABEL: func.func @divisible
// CHECK-NOT: tensor.pad
// CHECK: linalg.conv_2d_nhwc_hwcf
// CHECK-SAME: outs(%{{.*}} : tensor<1x12x12x16xf32>)
// CHECK-NOT: tensor.extract_slice
func.func @divisible(%x: tensor<1x12x12x8xf32>, %w: tensor<1x1x8x16xf32>, %acc: tensor<1x12x12x16xf32>) -> tensor<1x12x12x16xf32> {
  %c = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x12x12x8xf32>, tensor<1x1x8x16xf32>) outs(%acc : tensor<1x12x12x16xf32>) -> tensor<1x12x12x16xf32>
  return %c : tensor<1x12x12x16xf32>
}

// -----

// An integer division after the convolution's (float-to-int) result would divide
// by the padded pixels' zeros: that consumer reads the slice, not the padded rows.
#idd = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK-LABEL: func.func @trapping_consumer
// CHECK: %[[CONV:.*]] = linalg.conv_2d_nhwc_hwcf
// CHECK: %[[S:.*]] = tensor.extract_slice %[[CONV]]
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}}, %[[S]] : tensor<1x13x13x16xi32>, tensor<1x13x13x16xf32>)
// CHECK: arith.divsi
func.func @trapping_consumer(%x: tensor<1x13x13x8xf32>, %w: tensor<1x1x8x16xf32>, %acc: tensor<1x13x13x16xf32>, %n: tensor<1x13x13x16xi32>) -> tensor<1x13x13x16xi32> {
  %c = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x13x13x8xf32>, tensor<1x1x8x16xf32>) outs(%acc : tensor<1x13x13x16xf32>) -> tensor<1x13x13x16xf32>
  %e = tensor.empty() : tensor<1x13x13x16xi32>
  %q = linalg.generic {indexing_maps = [#idd, #idd, #idd], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%n, %c : tensor<1x13x13x16xi32>, tensor<1x13x13x16xf32>) outs(%e : tensor<1x13x13x16xi32>) {
  ^bb0(%a: i32, %b: f32, %o: i32):
    %i = arith.fptosi %b : f32 to i32
    %d = arith.divsi %a, %i : i32
    linalg.yield %d : i32
  } -> tensor<1x13x13x16xi32>
  return %q : tensor<1x13x13x16xi32>
}

// ERR: error: pass 'kiln-pad-conv-rows' has no option 'width'
