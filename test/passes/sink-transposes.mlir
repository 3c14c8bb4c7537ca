// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-conv-to-nhwc,kiln-sink-transposes,kiln-fold-constant-layout)' | FileCheck %s

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#chan = affine_map<(d0, d1, d2, d3) -> (d0, d1, 0, 0)>

// Squeeze-excitation between two convolutions: conv -> mean over H, W -> 1x1 conv ->
// sigmoid -> x * s -> conv. Everything runs NHWC: the mean reduces the NHWC H, W
// dims, the scale reads s per channel (innermost); one transpose pair is left, at
// the function's NCHW input and output.
// CHECK-LABEL: func.func @squeeze_excite
// CHECK: linalg.transpose {{.*}} permutation = [0, 2, 3, 1]
// CHECK-NOT: linalg.transpose
// CHECK: %[[X:.*]] = linalg.conv_2d_nhwc_hwcf {{.*}} -> tensor<1x8x8x16xf32>
// CHECK-NOT: linalg.transpose
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "reduction", "reduction", "parallel"]
// CHECK-SAME: ins(%[[X]] : tensor<1x8x8x16xf32>) outs({{.*}} : tensor<1x1x1x16xf32>)
// CHECK-NOT: linalg.transpose
// CHECK: linalg.conv_2d_nhwc_hwcf {{.*}} -> tensor<1x1x1x4xf32>
// CHECK-NOT: linalg.transpose
// CHECK: %[[S:.*]] = linalg.conv_2d_nhwc_hwcf {{.*}} -> tensor<1x1x1x16xf32>
// CHECK-NOT: linalg.transpose
// CHECK: %[[SIG:.*]] = linalg.generic {{.*}} ins(%[[S]] : tensor<1x1x1x16xf32>)
// CHECK: %[[SCALED:.*]] = linalg.generic {{.*}} ins(%[[X]], %[[SIG]] : tensor<1x8x8x16xf32>, tensor<1x1x1x16xf32>)
// CHECK-NOT: linalg.transpose
// CHECK: %[[OUT:.*]] = linalg.conv_2d_nhwc_hwcf {{.*}} ins(%[[SCALED]],
// CHECK: %[[BACK:.*]] = linalg.transpose ins(%[[OUT]] {{.*}} permutation = [0, 3, 1, 2]
// CHECK-NOT: linalg.transpose
// CHECK: return %[[BACK]]
func.func @squeeze_excite(%x: tensor<1x16x8x8xf32>) -> tensor<1x16x8x8xf32> {
  %w = arith.constant dense<0.1> : tensor<16x16x1x1xf32>
  %w1 = arith.constant dense<0.2> : tensor<4x16x1x1xf32>
  %w2 = arith.constant dense<0.3> : tensor<16x4x1x1xf32>
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %hw = arith.constant 64.0 : f32
  %z = arith.constant dense<0.0> : tensor<1x16x8x8xf32>
  %z1 = arith.constant dense<0.0> : tensor<1x4x1x1xf32>
  %z2 = arith.constant dense<0.0> : tensor<1x16x1x1xf32>
  %c = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
      ins(%x, %w : tensor<1x16x8x8xf32>, tensor<16x16x1x1xf32>) outs(%z : tensor<1x16x8x8xf32>) -> tensor<1x16x8x8xf32>
  %e1 = tensor.empty() : tensor<1x16x1x1xf32>
  %f1 = linalg.fill ins(%zero : f32) outs(%e1 : tensor<1x16x1x1xf32>) -> tensor<1x16x1x1xf32>
  %sum = linalg.generic {indexing_maps = [#id, #chan], iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%c : tensor<1x16x8x8xf32>) outs(%f1 : tensor<1x16x1x1xf32>) {
  ^bb0(%in: f32, %acc: f32):
    %a = arith.addf %in, %acc : f32
    linalg.yield %a : f32
  } -> tensor<1x16x1x1xf32>
  %mean = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%sum : tensor<1x16x1x1xf32>) outs(%e1 : tensor<1x16x1x1xf32>) {
  ^bb0(%in: f32, %o: f32):
    %d = arith.divf %in, %hw : f32
    linalg.yield %d : f32
  } -> tensor<1x16x1x1xf32>
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
      ins(%mean, %w1 : tensor<1x16x1x1xf32>, tensor<4x16x1x1xf32>) outs(%z1 : tensor<1x4x1x1xf32>) -> tensor<1x4x1x1xf32>
  %s = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
      ins(%r, %w2 : tensor<1x4x1x1xf32>, tensor<16x4x1x1xf32>) outs(%z2 : tensor<1x16x1x1xf32>) -> tensor<1x16x1x1xf32>
  %sig = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%s : tensor<1x16x1x1xf32>) outs(%e1 : tensor<1x16x1x1xf32>) {
  ^bb0(%in: f32, %o: f32):
    %n = arith.negf %in : f32
    %ex = math.exp %n : f32
    %den = arith.addf %ex, %one : f32
    %q = arith.divf %one, %den : f32
    linalg.yield %q : f32
  } -> tensor<1x16x1x1xf32>
  %e = tensor.empty() : tensor<1x16x8x8xf32>
  %scaled = linalg.generic {indexing_maps = [#id, #chan, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%c, %sig : tensor<1x16x8x8xf32>, tensor<1x16x1x1xf32>) outs(%e : tensor<1x16x8x8xf32>) {
  ^bb0(%in: f32, %g: f32, %o: f32):
    %m = arith.mulf %in, %g : f32
    linalg.yield %m : f32
  } -> tensor<1x16x8x8xf32>
  %out = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
      ins(%scaled, %w : tensor<1x16x8x8xf32>, tensor<16x16x1x1xf32>) outs(%z : tensor<1x16x8x8xf32>) -> tensor<1x16x8x8xf32>
  return %out : tensor<1x16x8x8xf32>
}

// -----

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>

// ReXNet's channel-slice residual y[:, 0:8] += shortcut between convolutions: the
// slices take the channel range on the NHWC channel dim (last), no transpose between.
// CHECK-LABEL: func.func @channel_slice_residual
// CHECK: %[[SHORT:.*]] = linalg.conv_2d_nhwc_hwcf {{.*}} -> tensor<1x4x4x8xf32>
// CHECK: %[[Y:.*]] = linalg.conv_2d_nhwc_hwcf {{.*}} -> tensor<1x4x4x12xf32>
// CHECK-NOT: linalg.transpose
// CHECK: %[[HEAD:.*]] = tensor.extract_slice %[[Y]][0, 0, 0, 0] [1, 4, 4, 8] [1, 1, 1, 1] : tensor<1x4x4x12xf32> to tensor<1x4x4x8xf32>
// CHECK: %[[ADD:.*]] = linalg.generic {{.*}} ins(%[[HEAD]], %[[SHORT]] : tensor<1x4x4x8xf32>, tensor<1x4x4x8xf32>)
// CHECK: %[[RES:.*]] = tensor.insert_slice %[[ADD]] into %[[Y]][0, 0, 0, 0] [1, 4, 4, 8] [1, 1, 1, 1] : tensor<1x4x4x8xf32> into tensor<1x4x4x12xf32>
// CHECK-NOT: linalg.transpose
// CHECK: linalg.conv_2d_nhwc_hwcf {{.*}} ins(%[[RES]],
func.func @channel_slice_residual(%x: tensor<1x8x4x4xf32>) -> tensor<1x12x4x4xf32> {
  %w0 = arith.constant dense<0.1> : tensor<8x8x1x1xf32>
  %w1 = arith.constant dense<0.2> : tensor<12x8x1x1xf32>
  %w2 = arith.constant dense<0.3> : tensor<12x12x1x1xf32>
  %z8 = arith.constant dense<0.0> : tensor<1x8x4x4xf32>
  %z12 = arith.constant dense<0.0> : tensor<1x12x4x4xf32>
  %short = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
      ins(%x, %w0 : tensor<1x8x4x4xf32>, tensor<8x8x1x1xf32>) outs(%z8 : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %y = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
      ins(%short, %w1 : tensor<1x8x4x4xf32>, tensor<12x8x1x1xf32>) outs(%z12 : tensor<1x12x4x4xf32>) -> tensor<1x12x4x4xf32>
  %head = tensor.extract_slice %y[0, 0, 0, 0] [1, 8, 4, 4] [1, 1, 1, 1] : tensor<1x12x4x4xf32> to tensor<1x8x4x4xf32>
  %e = tensor.empty() : tensor<1x8x4x4xf32>
  %add = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%head, %short : tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>) outs(%e : tensor<1x8x4x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<1x8x4x4xf32>
  %res = tensor.insert_slice %add into %y[0, 0, 0, 0] [1, 8, 4, 4] [1, 1, 1, 1] : tensor<1x8x4x4xf32> into tensor<1x12x4x4xf32>
  %out = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
      ins(%res, %w2 : tensor<1x12x4x4xf32>, tensor<12x12x1x1xf32>) outs(%z12 : tensor<1x12x4x4xf32>) -> tensor<1x12x4x4xf32>
  return %out : tensor<1x12x4x4xf32>
}

// -----

// DenseNet's concatenation along channels joins the NHWC tensors along their last dim.
// CHECK-LABEL: func.func @channel_concat
// CHECK: %[[A:.*]] = linalg.conv_2d_nhwc_hwcf {{.*}} -> tensor<1x4x4x8xf32>
// CHECK: %[[B:.*]] = linalg.conv_2d_nhwc_hwcf {{.*}} -> tensor<1x4x4x4xf32>
// CHECK-NOT: linalg.transpose
// CHECK: %[[CAT:.*]] = tensor.concat dim(3) %[[A]], %[[B]] : (tensor<1x4x4x8xf32>, tensor<1x4x4x4xf32>) -> tensor<1x4x4x12xf32>
// CHECK-NOT: linalg.transpose
// CHECK: linalg.conv_2d_nhwc_hwcf {{.*}} ins(%[[CAT]],
func.func @channel_concat(%x: tensor<1x8x4x4xf32>) -> tensor<1x12x4x4xf32> {
  %w0 = arith.constant dense<0.1> : tensor<8x8x1x1xf32>
  %w1 = arith.constant dense<0.2> : tensor<4x8x1x1xf32>
  %w2 = arith.constant dense<0.3> : tensor<12x12x1x1xf32>
  %z8 = arith.constant dense<0.0> : tensor<1x8x4x4xf32>
  %z4 = arith.constant dense<0.0> : tensor<1x4x4x4xf32>
  %z12 = arith.constant dense<0.0> : tensor<1x12x4x4xf32>
  %a = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
      ins(%x, %w0 : tensor<1x8x4x4xf32>, tensor<8x8x1x1xf32>) outs(%z8 : tensor<1x8x4x4xf32>) -> tensor<1x8x4x4xf32>
  %b = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
      ins(%a, %w1 : tensor<1x8x4x4xf32>, tensor<4x8x1x1xf32>) outs(%z4 : tensor<1x4x4x4xf32>) -> tensor<1x4x4x4xf32>
  %cat = tensor.concat dim(1) %a, %b : (tensor<1x8x4x4xf32>, tensor<1x4x4x4xf32>) -> tensor<1x12x4x4xf32>
  %out = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
      ins(%cat, %w2 : tensor<1x12x4x4xf32>, tensor<12x12x1x1xf32>) outs(%z12 : tensor<1x12x4x4xf32>) -> tensor<1x12x4x4xf32>
  return %out : tensor<1x12x4x4xf32>
}

// -----

#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>

// Must not change: a full-size operand in the model's layout (the sum would read it
// strided instead of the transposed one), a body reading loop indices, and a
// transpose returned as it is.
// CHECK-LABEL: func.func @unchanged
// CHECK: %[[T:.*]] = linalg.transpose ins(%{{.*}} : tensor<1x4x4x8xf32>) {{.*}} permutation = [0, 3, 1, 2]
// CHECK: linalg.generic {{.*}} ins(%[[T]], %{{.*}} : tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>) outs(%{{.*}} : tensor<1x8x4x4xf32>)
// CHECK: linalg.generic {{.*}} ins(%[[T]] : tensor<1x8x4x4xf32>) outs(%{{.*}} : tensor<1x8x4x4xf32>)
// CHECK: linalg.index 1
// CHECK: return %[[T]],
func.func @unchanged(%x: tensor<1x4x4x8xf32>, %y: tensor<1x8x4x4xf32>) -> (tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>) {
  %e = tensor.empty() : tensor<1x8x4x4xf32>
  %t = linalg.transpose ins(%x : tensor<1x4x4x8xf32>) outs(%e : tensor<1x8x4x4xf32>) permutation = [0, 3, 1, 2]
  %sum = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%t, %y : tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>) outs(%e : tensor<1x8x4x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<1x8x4x4xf32>
  %idx = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%t : tensor<1x8x4x4xf32>) outs(%e : tensor<1x8x4x4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %c = linalg.index 1 : index
    %i = arith.index_cast %c : index to i32
    %f = arith.sitofp %i : i32 to f32
    %m = arith.mulf %a, %f : f32
    linalg.yield %m : f32
  } -> tensor<1x8x4x4xf32>
  return %t, %sum, %idx : tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>, tensor<1x8x4x4xf32>
}
