// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-fuse-elementwise)' | FileCheck %s
// RUN: not kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-fuse-elementwise{aggressive=true})' 2>&1 | FileCheck %s --check-prefix=ERR

#id = affine_map<(d0, d1) -> (d0, d1)>

// A chain add -> relu becomes one generic.
// CHECK-LABEL: func.func @add_relu_chain
// CHECK-SAME: (%[[X:.*]]: tensor<8x16xf32>, %[[Y:.*]]: tensor<8x16xf32>)
// CHECK: %[[FUSED:.*]] = linalg.generic
// CHECK-SAME: ins(%[[X]], %[[Y]] : tensor<8x16xf32>, tensor<8x16xf32>)
// CHECK: %[[SUM:.*]] = arith.addf
// CHECK: %[[RELU:.*]] = arith.maximumf %[[SUM]]
// CHECK: linalg.yield %[[RELU]]
// CHECK-NOT: linalg.generic
// CHECK: return %[[FUSED]]
func.func @add_relu_chain(%x: tensor<8x16xf32>, %y: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %e = tensor.empty() : tensor<8x16xf32>
  %a = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %y : tensor<8x16xf32>, tensor<8x16xf32>) outs(%e : tensor<8x16xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %s = arith.addf %p, %q : f32
    linalg.yield %s : f32
  } -> tensor<8x16xf32>
  %b = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<8x16xf32>) outs(%e : tensor<8x16xf32>) {
  ^bb0(%p: f32, %o: f32):
    %z = arith.constant 0.0 : f32
    %m = arith.maximumf %p, %z : f32
    linalg.yield %m : f32
  } -> tensor<8x16xf32>
  return %b : tensor<8x16xf32>
}

// -----

// Elementwise named ops are generalized and fused.
// CHECK-LABEL: func.func @named_elementwise
// CHECK-NOT: linalg.add
// CHECK-NOT: linalg.exp
// CHECK: linalg.generic
// CHECK: %[[SUM:.*]] = arith.addf
// CHECK: %[[EXP:.*]] = math.exp %[[SUM]]
// CHECK: linalg.yield %[[EXP]]
// CHECK-NOT: linalg.generic
func.func @named_elementwise(%x: tensor<8x16xf32>, %y: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %e = tensor.empty() : tensor<8x16xf32>
  %a = linalg.add ins(%x, %y : tensor<8x16xf32>, tensor<8x16xf32>) outs(%e : tensor<8x16xf32>) -> tensor<8x16xf32>
  %b = linalg.exp ins(%a : tensor<8x16xf32>) outs(%e : tensor<8x16xf32>) -> tensor<8x16xf32>
  return %b : tensor<8x16xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// An elementwise producer is not fused into a named matmul: it stays a
// separate generic and the matmul stays linalg.matmul.
// CHECK-LABEL: func.func @producer_of_matmul
// CHECK: %[[NEG:.*]] = linalg.generic
// CHECK: arith.negf
// CHECK: %[[MM:.*]] = linalg.matmul ins(%[[NEG]], %{{.*}} : tensor<8x16xf32>, tensor<16x8xf32>)
// CHECK-NOT: kiln.fusion_barrier
// CHECK: return %[[MM]]
func.func @producer_of_matmul(%x: tensor<8x16xf32>, %w: tensor<16x8xf32>) -> tensor<8x8xf32> {
  %e = tensor.empty() : tensor<8x16xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<8x16xf32>) outs(%e : tensor<8x16xf32>) {
  ^bb0(%p: f32, %o: f32):
    %n = arith.negf %p : f32
    linalg.yield %n : f32
  } -> tensor<8x16xf32>
  %zero = arith.constant 0.0 : f32
  %ce = tensor.empty() : tensor<8x8xf32>
  %c = linalg.fill ins(%zero : f32) outs(%ce : tensor<8x8xf32>) -> tensor<8x8xf32>
  %m = linalg.matmul ins(%a, %w : tensor<8x16xf32>, tensor<16x8xf32>) outs(%c : tensor<8x8xf32>) -> tensor<8x8xf32>
  return %m : tensor<8x8xf32>
}

// -----

#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>

// A reshape of a matmul's result is not folded into it (upstream's propagation
// would make N = (8, 2) and packing would pad the 2): the matmul stays 2-D, the
// expand_shape moves below the relu's fusion only.
// CHECK-LABEL: func.func @expanded_matmul_result
// CHECK: %[[MM:.*]] = linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<4x16xf32>, tensor<16x16xf32>) outs(%{{.*}} : tensor<4x16xf32>)
// CHECK: tensor.expand_shape %[[MM]] {{\[}}[0], [1, 2]] output_shape [4, 8, 2]
// CHECK-NOT: kiln.fusion_barrier
func.func @expanded_matmul_result(%x: tensor<4x16xf32>, %w: tensor<16x16xf32>) -> tensor<4x8x2xf32> {
  %zero = arith.constant 0.0 : f32
  %ce = tensor.empty() : tensor<4x16xf32>
  %c = linalg.fill ins(%zero : f32) outs(%ce : tensor<4x16xf32>) -> tensor<4x16xf32>
  %m = linalg.matmul ins(%x, %w : tensor<4x16xf32>, tensor<16x16xf32>) outs(%c : tensor<4x16xf32>) -> tensor<4x16xf32>
  %v = tensor.expand_shape %m [[0], [1, 2]] output_shape [4, 8, 2] : tensor<4x16xf32> into tensor<4x8x2xf32>
  %e = tensor.empty() : tensor<4x8x2xf32>
  %r = linalg.generic {indexing_maps = [#id3, #id3], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%v : tensor<4x8x2xf32>) outs(%e : tensor<4x8x2xf32>) {
  ^bb0(%p: f32, %o: f32):
    %y = arith.maximumf %p, %zero : f32
    linalg.yield %y : f32
  } -> tensor<4x8x2xf32>
  return %r : tensor<4x8x2xf32>
}

// -----

#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>

// A reshape of the outer dimensions only (a 1x1 convolution's [H*W, F] matmul viewed
// as [1, H, W, F]) still propagates: the matmul is expanded to the 4-D iteration
// space, so its epilogue keeps the contraction's shape (guarding it made ResNet-50
// 3.9x slower).
// CHECK-LABEL: func.func @outer_reshape_of_matmul_result
// CHECK-NOT: linalg.matmul
// CHECK: linalg.generic {{.*}} outs(%{{.*}} : tensor<1x2x2x16xf32>)
// CHECK: arith.mulf
// CHECK: arith.addf
// CHECK-NOT: kiln.fusion_barrier
func.func @outer_reshape_of_matmul_result(%x: tensor<4x16xf32>, %w: tensor<16x16xf32>) -> tensor<1x2x2x16xf32> {
  %zero = arith.constant 0.0 : f32
  %ce = tensor.empty() : tensor<4x16xf32>
  %c = linalg.fill ins(%zero : f32) outs(%ce : tensor<4x16xf32>) -> tensor<4x16xf32>
  %m = linalg.matmul ins(%x, %w : tensor<4x16xf32>, tensor<16x16xf32>) outs(%c : tensor<4x16xf32>) -> tensor<4x16xf32>
  %v = tensor.expand_shape %m [[0, 1, 2], [3]] output_shape [1, 2, 2, 16] : tensor<4x16xf32> into tensor<1x2x2x16xf32>
  %e = tensor.empty() : tensor<1x2x2x16xf32>
  %r = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%v : tensor<1x2x2x16xf32>) outs(%e : tensor<1x2x2x16xf32>) {
  ^bb0(%p: f32, %o: f32):
    %y = arith.maximumf %p, %zero : f32
    linalg.yield %y : f32
  } -> tensor<1x2x2x16xf32>
  return %r : tensor<1x2x2x16xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// Nor into a contraction written as a generic (upstream fusion alone would
// fuse it): the contraction keeps its multiply-add body.
// CHECK-LABEL: func.func @producer_of_generic_contraction
// CHECK: %[[NEG:.*]] = linalg.generic
// CHECK: arith.negf
// CHECK: %[[MM:.*]] = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "reduction"]
// CHECK-SAME: ins(%[[NEG]], %{{.*}} : tensor<8x16xf32>, tensor<16x8xf32>)
// CHECK-NEXT: ^bb0(
// CHECK-NEXT: arith.mulf
// CHECK-NEXT: arith.addf
// CHECK-NEXT: linalg.yield
// CHECK-NOT: kiln.fusion_barrier
// CHECK: return %[[MM]]
func.func @producer_of_generic_contraction(%x: tensor<8x16xf32>, %w: tensor<16x8xf32>, %c: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %e = tensor.empty() : tensor<8x16xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<8x16xf32>) outs(%e : tensor<8x16xf32>) {
  ^bb0(%p: f32, %o: f32):
    %n = arith.negf %p : f32
    linalg.yield %n : f32
  } -> tensor<8x16xf32>
  %m = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (k, n)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %w : tensor<8x16xf32>, tensor<16x8xf32>) outs(%c : tensor<8x8xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %t = arith.mulf %p, %q : f32
    %s = arith.addf %o, %t : f32
    linalg.yield %s : f32
  } -> tensor<8x8xf32>
  return %m : tensor<8x8xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// Must not change: the producer has two users, so it is not fused.
// CHECK-LABEL: func.func @multi_use_producer
// CHECK: %[[EXP:.*]] = linalg.generic
// CHECK: math.exp
// CHECK: %[[NEG:.*]] = linalg.generic
// CHECK-SAME: ins(%[[EXP]] : tensor<8x16xf32>)
// CHECK: arith.negf
// CHECK: return %[[EXP]], %[[NEG]]
func.func @multi_use_producer(%x: tensor<8x16xf32>) -> (tensor<8x16xf32>, tensor<8x16xf32>) {
  %e = tensor.empty() : tensor<8x16xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<8x16xf32>) outs(%e : tensor<8x16xf32>) {
  ^bb0(%p: f32, %o: f32):
    %r = math.exp %p : f32
    linalg.yield %r : f32
  } -> tensor<8x16xf32>
  %b = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<8x16xf32>) outs(%e : tensor<8x16xf32>) {
  ^bb0(%p: f32, %o: f32):
    %r = arith.negf %p : f32
    linalg.yield %r : f32
  } -> tensor<8x16xf32>
  return %a, %b : tensor<8x16xf32>, tensor<8x16xf32>
}

// ERR: error: pass 'kiln-fuse-elementwise' has no option 'aggressive'

// -----

// A bf16 block contraction (operands extended to f32 in its body) is a contraction:
// the ReLU producing its operand is fused with the operand's bf16 conversion (the
// ReLU writes bf16), never into the contraction.
#id2 = affine_map<(d0, d1) -> (d0, d1)>
#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b = affine_map<(d0, d1, d2) -> (d2, d1)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>
// CHECK-LABEL: func.func @bf16_block
// CHECK: %[[A:.*]] = linalg.generic
// CHECK: arith.maximumf
// CHECK: arith.truncf
// CHECK: } -> tensor<4x8xbf16>
// CHECK: linalg.generic {{.*}} ins(%[[A]], %{{.*}} : tensor<4x8xbf16>, tensor<8x16xbf16>)
// CHECK: arith.extf
// CHECK-NOT: maximumf
// CHECK: return
func.func @bf16_block(%x: tensor<4x8xf32>, %w: tensor<8x16xbf16>, %acc: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x8xf32>
  %relu = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %zero : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  %eb = tensor.empty() : tensor<4x8xbf16>
  %a = linalg.generic {indexing_maps = [#id2, #id2], iterator_types = ["parallel", "parallel"]} ins(%relu : tensor<4x8xf32>) outs(%eb : tensor<4x8xbf16>) {
  ^bb0(%in: f32, %out: bf16):
    %t = arith.truncf %in : f32 to bf16
    linalg.yield %t : bf16
  } -> tensor<4x8xbf16>
  %r = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %w : tensor<4x8xbf16>, tensor<8x16xbf16>) outs(%acc : tensor<4x16xf32>) {
  ^bb0(%p: bf16, %q: bf16, %o: f32):
    %pf = arith.extf %p : bf16 to f32
    %qf = arith.extf %q : bf16 to f32
    %m = arith.mulf %pf, %qf : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}
