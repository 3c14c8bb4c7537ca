// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-unshare-destinations)' | FileCheck %s
// RUN: not kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-unshare-destinations{copies=false})' 2>&1 | FileCheck %s --check-prefix=ERR

#id = affine_map<(d0) -> (d0)>

// One tensor.empty (as CSE leaves it) is the destination of two generics:
// each gets its own.
// CHECK-LABEL: func.func @shared_empty
// CHECK: %[[E0:.*]] = tensor.empty() : tensor<16xf32>
// CHECK: %[[E1:.*]] = tensor.empty() : tensor<16xf32>
// CHECK-NOT: tensor.empty
// Which generic gets the clone does not matter; each writes its own tensor.
// CHECK-DAG: linalg.generic {{.*}} outs(%[[E0]] : tensor<16xf32>)
// CHECK-DAG: linalg.generic {{.*}} outs(%[[E1]] : tensor<16xf32>)
// CHECK: return
func.func @shared_empty(%x: tensor<16xf32>, %y: tensor<16xf32>) -> (tensor<16xf32>, tensor<16xf32>) {
  %e = tensor.empty() : tensor<16xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<16xf32>) outs(%e : tensor<16xf32>) {
  ^bb0(%v: f32, %o: f32):
    %n = arith.negf %v : f32
    linalg.yield %n : f32
  } -> tensor<16xf32>
  %b = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%y : tensor<16xf32>) outs(%e : tensor<16xf32>) {
  ^bb0(%v: f32, %o: f32):
    %n = math.exp %v : f32
    linalg.yield %n : f32
  } -> tensor<16xf32>
  return %a, %b : tensor<16xf32>, tensor<16xf32>
}

// -----

// A zero accumulator shared by two matmuls: the fill is recomputed for each.
// CHECK-LABEL: func.func @shared_fill
// CHECK: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK: %[[ACC0:.*]] = linalg.fill ins(%[[ZERO]] : f32) {{.*}} -> tensor<4x16xf32>
// CHECK: %[[ACC1:.*]] = linalg.fill ins(%[[ZERO]] : f32) {{.*}} -> tensor<4x16xf32>
// CHECK-NOT: linalg.fill
// CHECK-DAG: linalg.matmul {{.*}} outs(%[[ACC0]] : tensor<4x16xf32>)
// CHECK-DAG: linalg.matmul {{.*}} outs(%[[ACC1]] : tensor<4x16xf32>)
// CHECK: return
func.func @shared_fill(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>, %c: tensor<4x8xf32>) -> (tensor<4x16xf32>, tensor<4x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x16xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  %m1 = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x16xf32>) outs(%acc : tensor<4x16xf32>) -> tensor<4x16xf32>
  %m2 = linalg.matmul ins(%c, %b : tensor<4x8xf32>, tensor<8x16xf32>) outs(%acc : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %m1, %m2 : tensor<4x16xf32>, tensor<4x16xf32>
}

// -----

#id = affine_map<(d0) -> (d0)>

// Must not change: a shared destination computed from another op's runtime
// result is not recomputable (cloning would duplicate real work).
// CHECK-LABEL: func.func @shared_from_runtime_value
// CHECK-COUNT-1: math.exp
// CHECK-NOT: math.exp
// CHECK: return
func.func @shared_from_runtime_value(%x: tensor<4x16xf32>, %y: tensor<16xf32>, %z: tensor<16xf32>) -> (tensor<16xf32>, tensor<16xf32>) {
  %row = tensor.extract_slice %x[0, 0] [1, 16] [1, 1] : tensor<4x16xf32> to tensor<16xf32>
  %e = tensor.empty() : tensor<16xf32>
  %s = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%row : tensor<16xf32>) outs(%e : tensor<16xf32>) {
  ^bb0(%v: f32, %o: f32):
    %n = math.exp %v : f32
    linalg.yield %n : f32
  } -> tensor<16xf32>
  %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%y : tensor<16xf32>) outs(%s : tensor<16xf32>) {
  ^bb0(%v: f32, %o: f32):
    %n = arith.addf %v, %o : f32
    linalg.yield %n : f32
  } -> tensor<16xf32>
  %b = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%z : tensor<16xf32>) outs(%s : tensor<16xf32>) {
  ^bb0(%v: f32, %o: f32):
    %n = arith.mulf %v, %o : f32
    linalg.yield %n : f32
  } -> tensor<16xf32>
  return %a, %b : tensor<16xf32>, tensor<16xf32>
}

// -----

// Must not change: an empty tensor with a single destination use, and one
// used twice but never as a destination.
// CHECK-LABEL: func.func @not_shared
// CHECK-COUNT-2: tensor.empty
// CHECK-NOT: tensor.empty
// CHECK: return
func.func @not_shared(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>) -> (tensor<4x16xf32>, tensor<2x2xf32>, tensor<2x2xf32>) {
  %e = tensor.empty() : tensor<4x16xf32>
  %m = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x16xf32>) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  %f = tensor.empty() : tensor<2x2xf32>
  return %m, %f, %f : tensor<4x16xf32>, tensor<2x2xf32>, tensor<2x2xf32>
}

// ERR: error: pass 'kiln-unshare-destinations' has no option 'copies'
