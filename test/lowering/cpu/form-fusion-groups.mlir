// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-form-fusion-groups)' | FileCheck %s
// RUN: not kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-form-fusion-groups{max-size=2})' 2>&1 | FileCheck %s --check-prefix=ERR

// Input: the cpu pipeline's `graph` level for linear + bias + relu.
#mA = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d2)>
#mB = affine_map<(d0, d1, d2, d3, d4) -> (d2, d1, d4)>
#mC = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d1, d4)>
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#bias = affine_map<(d0, d1, d2, d3) -> (d2, d3)>

// fill, contraction and epilogue move into one group, in that order; the
// reshapes of their operands stay outside, before it.
// CHECK-LABEL: func.func @fill_contraction_epilogue
// CHECK-SAME: %[[BIAS:[a-zA-Z0-9_]+]]: tensor<16xf32>
// CHECK: %[[BIAS2:.*]] = tensor.expand_shape %[[BIAS]]
// CHECK: %[[GROUP:.*]] = "kiln.fusion_group"() ({
// CHECK-NEXT: %[[FILL:.*]] = linalg.fill
// CHECK-NEXT: %[[MM:.*]] = linalg.generic
// CHECK-SAME: outs(%[[FILL]] : tensor<2x4x1x16xf32>)
// CHECK-SAME: kiln.blocked = array<i64: 4, 16>
// CHECK: %[[EPI:.*]] = linalg.generic
// CHECK-SAME: ins(%[[MM]], %[[BIAS2]] : tensor<2x4x1x16xf32>, tensor<1x16xf32>)
// CHECK-SAME: kiln.epilogue
// CHECK: "kiln.yield"(%[[EPI]])
// CHECK-NEXT: }) {anchor = "linalg.generic", kind = "contraction"{{.*}}} : () -> tensor<2x4x1x16xf32>
// CHECK-NEXT: %[[OUT:.*]] = tensor.collapse_shape %[[GROUP]]
// CHECK-NEXT: return %[[OUT]]
func.func @fill_contraction_epilogue(%x: tensor<8x16xf32>, %w: tensor<16x16xf32>, %bias: tensor<16xf32>) -> tensor<8x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x16xf32>
  %a = tensor.expand_shape %x [[0, 1], [2]] output_shape [2, 4, 16] : tensor<8x16xf32> into tensor<2x4x16xf32>
  %b = tensor.expand_shape %w [[0], [1, 2]] output_shape [16, 1, 16] : tensor<16x16xf32> into tensor<16x1x16xf32>
  %c = tensor.expand_shape %e [[0, 1], [2, 3]] output_shape [2, 4, 1, 16] : tensor<8x16xf32> into tensor<2x4x1x16xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%c : tensor<2x4x1x16xf32>) -> tensor<2x4x1x16xf32>
  %mm = linalg.generic {indexing_maps = [#mA, #mB, #mC], iterator_types = ["parallel", "parallel", "reduction", "parallel", "parallel"]}
      ins(%a, %b : tensor<2x4x16xf32>, tensor<16x1x16xf32>) outs(%acc : tensor<2x4x1x16xf32>) attrs = {kiln.blocked = array<i64: 4, 16>} {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<2x4x1x16xf32>
  %bias2 = tensor.expand_shape %bias [[0, 1]] output_shape [1, 16] : tensor<16xf32> into tensor<1x16xf32>
  %epi = linalg.generic {indexing_maps = [#id4, #bias, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%mm, %bias2 : tensor<2x4x1x16xf32>, tensor<1x16xf32>) outs(%c : tensor<2x4x1x16xf32>) attrs = {kiln.epilogue} {
  ^bb0(%v: f32, %b0: f32, %o: f32):
    %s = arith.addf %v, %b0 : f32
    %r = arith.maximumf %s, %zero : f32
    linalg.yield %r : f32
  } -> tensor<2x4x1x16xf32>
  %out = tensor.collapse_shape %epi [[0, 1], [2, 3]] : tensor<2x4x1x16xf32> into tensor<8x16xf32>
  return %out : tensor<8x16xf32>
}

// -----

#mA = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d2)>
#mB = affine_map<(d0, d1, d2, d3, d4) -> (d2, d1, d4)>
#mC = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d1, d4)>
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>

// A fill with another user stays outside, and an epilogue does not join when
// the contraction's result has another user: the group is the contraction alone.
// CHECK-LABEL: func.func @shared_values
// CHECK: %[[FILL:.*]] = linalg.fill
// CHECK: %[[GROUP:.*]] = "kiln.fusion_group"() ({
// CHECK-NEXT: %[[MM:.*]] = linalg.generic
// CHECK-SAME: outs(%[[FILL]] : tensor<2x4x1x16xf32>)
// CHECK-SAME: kiln.blocked
// CHECK: "kiln.yield"(%[[MM]])
// CHECK-NEXT: }) {anchor = "linalg.generic", kind = "contraction"
// CHECK-NEXT: %[[EPI:.*]] = linalg.generic
// CHECK-SAME: ins(%[[GROUP]] : tensor<2x4x1x16xf32>)
// CHECK-SAME: kiln.epilogue
// CHECK: return %[[FILL]], %[[GROUP]], %[[EPI]]
func.func @shared_values(%a: tensor<2x4x16xf32>, %b: tensor<16x1x16xf32>, %c: tensor<2x4x1x16xf32>) -> (tensor<2x4x1x16xf32>, tensor<2x4x1x16xf32>, tensor<2x4x1x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %acc = linalg.fill ins(%zero : f32) outs(%c : tensor<2x4x1x16xf32>) -> tensor<2x4x1x16xf32>
  %mm = linalg.generic {indexing_maps = [#mA, #mB, #mC], iterator_types = ["parallel", "parallel", "reduction", "parallel", "parallel"]}
      ins(%a, %b : tensor<2x4x16xf32>, tensor<16x1x16xf32>) outs(%acc : tensor<2x4x1x16xf32>) attrs = {kiln.blocked = array<i64: 4, 16>} {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<2x4x1x16xf32>
  %epi = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%mm : tensor<2x4x1x16xf32>) outs(%c : tensor<2x4x1x16xf32>) attrs = {kiln.epilogue} {
  ^bb0(%v: f32, %o: f32):
    %r = arith.maximumf %v, %zero : f32
    linalg.yield %r : f32
  } -> tensor<2x4x1x16xf32>
  return %acc, %mm, %epi : tensor<2x4x1x16xf32>, tensor<2x4x1x16xf32>, tensor<2x4x1x16xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// Must not change: no blocked contraction, no group.
// CHECK-LABEL: func.func @no_contraction
// CHECK-NOT: kiln.fusion_group
// CHECK: linalg.generic
// CHECK-NOT: kiln.fusion_group
// CHECK: return
func.func @no_contraction(%x: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %e = tensor.empty() : tensor<8x16xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<8x16xf32>) outs(%e : tensor<8x16xf32>) {
  ^bb0(%v: f32, %o: f32):
    %n = arith.negf %v : f32
    linalg.yield %n : f32
  } -> tensor<8x16xf32>
  return %r : tensor<8x16xf32>
}

// -----

#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#chan = affine_map<(d0, d1, d2, d3) -> (d3)>

// A depthwise convolution with a bias init and a bias-free BN + relu6
// epilogue: one group of kind depthwise. Each epilogue op writes into its
// producer's result (ins(%conv, %scale) outs(%e) -> ins(%scale) outs(%conv)),
// its body reading the output element in place of the input it drops.
// CHECK-LABEL: func.func @depthwise_in_place
// CHECK-SAME: (%[[X:.*]]: tensor<1x10x10x16xf32>, %[[W:.*]]: tensor<3x3x16xf32>, %[[B:.*]]: tensor<16xf32>, %[[S:.*]]: tensor<16xf32>)
// CHECK: "kiln.fusion_group"() ({
// CHECK-NEXT: %[[INIT:.*]] = linalg.generic {{.*}} ins(%[[B]] : tensor<16xf32>)
// CHECK: %[[CONV:.*]] = linalg.depthwise_conv_2d_nhwc_hwc {{.*}} outs(%[[INIT]] : tensor<1x8x8x16xf32>)
// CHECK-NEXT: %[[SCALED:.*]] = linalg.generic {{.*}} ins(%[[S]] : tensor<16xf32>) outs(%[[CONV]] : tensor<1x8x8x16xf32>)
// CHECK-NEXT: ^bb0(%[[SV:.*]]: f32, %[[OV:.*]]: f32):
// CHECK-NEXT: arith.mulf %[[OV]], %[[SV]] : f32
// CHECK: %[[RELU6:.*]] = linalg.generic {{.*}} outs(%[[SCALED]] : tensor<1x8x8x16xf32>)
// CHECK-NEXT: ^bb0(%[[V:.*]]: f32):
// CHECK-NEXT: arith.maximumf %[[V]]
// CHECK: "kiln.yield"(%[[RELU6]])
// CHECK: anchor = "linalg.depthwise_conv_2d_nhwc_hwc", kind = "depthwise"
func.func @depthwise_in_place(%x: tensor<1x10x10x16xf32>, %w: tensor<3x3x16xf32>, %b: tensor<16xf32>, %s: tensor<16xf32>) -> tensor<1x8x8x16xf32> {
  %zero = arith.constant 0.0 : f32
  %six = arith.constant 6.0 : f32
  %e = tensor.empty() : tensor<1x8x8x16xf32>
  %init = linalg.generic {indexing_maps = [#chan, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%b : tensor<16xf32>) outs(%e : tensor<1x8x8x16xf32>) {
  ^bb0(%v: f32, %o: f32):
    linalg.yield %v : f32
  } -> tensor<1x8x8x16xf32>
  %conv = linalg.depthwise_conv_2d_nhwc_hwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<1x10x10x16xf32>, tensor<3x3x16xf32>) outs(%init : tensor<1x8x8x16xf32>) -> tensor<1x8x8x16xf32>
  %e2 = tensor.empty() : tensor<1x8x8x16xf32>
  %scaled = linalg.generic {indexing_maps = [#id4, #chan, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%conv, %s : tensor<1x8x8x16xf32>, tensor<16xf32>) outs(%e2 : tensor<1x8x8x16xf32>) {
  ^bb0(%v: f32, %k: f32, %o: f32):
    %m = arith.mulf %v, %k : f32
    linalg.yield %m : f32
  } -> tensor<1x8x8x16xf32>
  %relu6 = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%scaled : tensor<1x8x8x16xf32>) outs(%e2 : tensor<1x8x8x16xf32>) {
  ^bb0(%v: f32, %o: f32):
    %lo = arith.maximumf %v, %zero : f32
    %hi = arith.minimumf %lo, %six : f32
    linalg.yield %hi : f32
  } -> tensor<1x8x8x16xf32>
  return %relu6 : tensor<1x8x8x16xf32>
}

// -----

#in = affine_map<(n, oh, ow, g, f, kh, kw, c) -> (n, oh + kh, ow + kw, g, c)>
#fl = affine_map<(n, oh, ow, g, f, kh, kw, c) -> (g, kh, kw, c, f)>
#out = affine_map<(n, oh, ow, g, f, kh, kw, c) -> (n, oh, ow, g, f)>
#id5 = affine_map<(d0, d1, d2, d3, d4) -> (d0, d1, d2, d3, d4)>

// kiln's grouped convolution generic anchors a group of kind grouped. An
// epilogue whose body reads its own output element (an accumulation into
// %acc) cannot take the convolution as its output: it stays as it is.
// CHECK-LABEL: func.func @grouped_accumulating_epilogue
// CHECK: "kiln.fusion_group"() ({
// CHECK: %[[CONV:.*]] = linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<1x6x6x2x4xf32>, tensor<2x3x3x4x4xf32>)
// CHECK: %[[SUM:.*]] = linalg.generic {{.*}} ins(%[[CONV]] : tensor<1x4x4x2x4xf32>) outs(%{{.*}} : tensor<1x4x4x2x4xf32>)
// CHECK: "kiln.yield"(%[[SUM]])
// CHECK: anchor = "linalg.generic", kind = "grouped"
func.func @grouped_accumulating_epilogue(%x: tensor<1x6x6x2x4xf32>, %w: tensor<2x3x3x4x4xf32>, %init: tensor<1x4x4x2x4xf32>, %acc: tensor<1x4x4x2x4xf32>) -> tensor<1x4x4x2x4xf32> {
  %conv = linalg.generic {indexing_maps = [#in, #fl, #out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %w : tensor<1x6x6x2x4xf32>, tensor<2x3x3x4x4xf32>) outs(%init : tensor<1x4x4x2x4xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x4x4x2x4xf32>
  %sum = linalg.generic {indexing_maps = [#id5, #id5], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel"]}
      ins(%conv : tensor<1x4x4x2x4xf32>) outs(%acc : tensor<1x4x4x2x4xf32>) {
  ^bb0(%v: f32, %o: f32):
    %a = arith.addf %v, %o : f32
    linalg.yield %a : f32
  } -> tensor<1x4x4x2x4xf32>
  return %sum : tensor<1x4x4x2x4xf32>
}

// ERR: error: pass 'kiln-form-fusion-groups' has no option 'max-size'
