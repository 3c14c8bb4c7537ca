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

// ERR: error: pass 'kiln-form-fusion-groups' has no option 'max-size'
