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
