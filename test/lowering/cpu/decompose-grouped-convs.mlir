// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-decompose-grouped-convs)' | FileCheck %s
// RUN: not kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-decompose-grouped-convs{groups=2})' 2>&1 | FileCheck %s --check-prefix=ERR

// A tile of kiln's grouped convolution with one image, one output row, one
// group and one kernel row (4 pixels, 8 output channels, kernel width 3,
// stride 2, dilation 1, 4 input channels) becomes a linalg.conv_1d_nwc_wcf on
// rank-reducing slices of the group's input row, filter row and output row,
// keeping the width's stride and dilation and the tile's kiln.vectorize mark.
// CHECK-LABEL: func.func @tile
// CHECK-SAME: (%[[X:.*]]: tensor<1x1x9x1x4xf32>, %[[W:.*]]: tensor<1x1x3x4x8xf32>, %[[O:.*]]: tensor<1x1x4x1x8xf32>)
// CHECK: %[[ROW:.*]] = tensor.extract_slice %[[X]][0, 0, 0, 0, 0] [1, 1, 9, 1, 4] [1, 1, 1, 1, 1] : tensor<1x1x9x1x4xf32> to tensor<1x9x4xf32>
// CHECK: %[[TAPS:.*]] = tensor.extract_slice %[[W]][0, 0, 0, 0, 0] [1, 1, 3, 4, 8] [1, 1, 1, 1, 1] : tensor<1x1x3x4x8xf32> to tensor<3x4x8xf32>
// CHECK: %[[ACC:.*]] = tensor.extract_slice %[[O]][0, 0, 0, 0, 0] [1, 1, 4, 1, 8] [1, 1, 1, 1, 1] : tensor<1x1x4x1x8xf32> to tensor<1x4x8xf32>
// CHECK: %[[CONV:.*]] = linalg.conv_1d_nwc_wcf {dilations = dense<1> : tensor<1xi64>, kiln.vectorize, strides = dense<2> : tensor<1xi64>}
// CHECK-SAME: ins(%[[ROW]], %[[TAPS]] : tensor<1x9x4xf32>, tensor<3x4x8xf32>) outs(%[[ACC]] : tensor<1x4x8xf32>)
// CHECK: %[[R:.*]] = tensor.insert_slice %[[CONV]] into %[[O]][0, 0, 0, 0, 0] [1, 1, 4, 1, 8] [1, 1, 1, 1, 1]
// CHECK-NOT: linalg.generic
// CHECK: return %[[R]]
#in = affine_map<(n, oh, ow, g, f, kh, kw, c) -> (n, oh * 2 + kh, ow * 2 + kw, g, c)>
#fl = affine_map<(n, oh, ow, g, f, kh, kw, c) -> (g, kh, kw, c, f)>
#out = affine_map<(n, oh, ow, g, f, kh, kw, c) -> (n, oh, ow, g, f)>
func.func @tile(%x: tensor<1x1x9x1x4xf32>, %w: tensor<1x1x3x4x8xf32>, %o: tensor<1x1x4x1x8xf32>) -> tensor<1x1x4x1x8xf32> {
  %r = linalg.generic {indexing_maps = [#in, #fl, #out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %w : tensor<1x1x9x1x4xf32>, tensor<1x1x3x4x8xf32>) outs(%o : tensor<1x1x4x1x8xf32>) attrs = {kiln.vectorize} {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x1x4x1x8xf32>
  return %r : tensor<1x1x4x1x8xf32>
}

// -----

// With dilation 2 along the width, the 1-D convolution's dilation is 2.
// CHECK-LABEL: func.func @dilated
// CHECK: linalg.conv_1d_nwc_wcf {dilations = dense<2> : tensor<1xi64>, strides = dense<1> : tensor<1xi64>}
// CHECK-SAME: ins(%{{.*}}, %{{.*}} : tensor<1x8x2xf32>, tensor<3x2x4xf32>) outs(%{{.*}} : tensor<1x4x4xf32>)
#in = affine_map<(n, oh, ow, g, f, kh, kw, c) -> (n, oh + kh * 2, ow + kw * 2, g, c)>
#fl = affine_map<(n, oh, ow, g, f, kh, kw, c) -> (g, kh, kw, c, f)>
#out = affine_map<(n, oh, ow, g, f, kh, kw, c) -> (n, oh, ow, g, f)>
func.func @dilated(%x: tensor<1x1x8x1x2xf32>, %w: tensor<1x1x3x2x4xf32>, %o: tensor<1x1x4x1x4xf32>) -> tensor<1x1x4x1x4xf32> {
  %r = linalg.generic {indexing_maps = [#in, #fl, #out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %w : tensor<1x1x8x1x2xf32>, tensor<1x1x3x2x4xf32>) outs(%o : tensor<1x1x4x1x4xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x1x4x1x4xf32>
  return %r : tensor<1x1x4x1x4xf32>
}

// -----

// Must not change: an untiled grouped convolution (two groups, three rows)
// and a generic of another form (the filter read F x C, as conv_2d_nhwgc_gfhwc
// reads it).
// CHECK-LABEL: func.func @not_a_tile
// CHECK-NOT: linalg.conv_1d_nwc_wcf
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}}, %{{.*}} : tensor<1x5x5x2x4xf32>, tensor<2x3x3x4x8xf32>) outs(%{{.*}} : tensor<1x3x3x2x8xf32>)
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}}, %{{.*}} : tensor<1x1x6x1x4xf32>, tensor<1x8x1x3x4xf32>)
// CHECK-NOT: linalg.conv_1d_nwc_wcf
#in = affine_map<(n, oh, ow, g, f, kh, kw, c) -> (n, oh + kh, ow + kw, g, c)>
#fl = affine_map<(n, oh, ow, g, f, kh, kw, c) -> (g, kh, kw, c, f)>
#fl2 = affine_map<(n, oh, ow, g, f, kh, kw, c) -> (g, f, kh, kw, c)>
#out = affine_map<(n, oh, ow, g, f, kh, kw, c) -> (n, oh, ow, g, f)>
func.func @not_a_tile(%x: tensor<1x5x5x2x4xf32>, %w: tensor<2x3x3x4x8xf32>, %o: tensor<1x3x3x2x8xf32>,
                      %x2: tensor<1x1x6x1x4xf32>, %w2: tensor<1x8x1x3x4xf32>, %o2: tensor<1x1x4x1x8xf32>) -> (tensor<1x3x3x2x8xf32>, tensor<1x1x4x1x8xf32>) {
  %r = linalg.generic {indexing_maps = [#in, #fl, #out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %w : tensor<1x5x5x2x4xf32>, tensor<2x3x3x4x8xf32>) outs(%o : tensor<1x3x3x2x8xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x3x3x2x8xf32>
  %r2 = linalg.generic {indexing_maps = [#in, #fl2, #out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x2, %w2 : tensor<1x1x6x1x4xf32>, tensor<1x8x1x3x4xf32>) outs(%o2 : tensor<1x1x4x1x8xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x1x4x1x8xf32>
  return %r, %r2 : tensor<1x3x3x2x8xf32>, tensor<1x1x4x1x8xf32>
}

// The pass has no options.
// ERR: error: pass 'kiln-decompose-grouped-convs' has no option 'groups'
