// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-fold-zero-size, canonicalize)' | FileCheck %s
// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-fold-zero-size{flatten-boundaries}, canonicalize)' | FileCheck %s --check-prefix=FLAT

// A matmul with K = 0 iterates zero times: its result is its zero accumulator.
// CHECK-LABEL: func.func @matmul_k0
// CHECK-SAME: (%{{.*}}: tensor<8x0xf32>, %{{.*}}: tensor<0x16xf32>)
// CHECK: %[[FILL:.*]] = linalg.fill
// CHECK-NOT: linalg.matmul
// CHECK: return %[[FILL]] : tensor<8x16xf32>
// FLAT-LABEL: func.func @matmul_k0
// FLAT-SAME: (%{{.*}}: tensor<0xf32>, %{{.*}}: tensor<0xf32>) -> tensor<8x16xf32>
func.func @matmul_k0(%a: tensor<8x0xf32>, %b: tensor<0x16xf32>) -> tensor<8x16xf32> {
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x16xf32>
  %f = linalg.fill ins(%cst : f32) outs(%e : tensor<8x16xf32>) -> tensor<8x16xf32>
  %r = linalg.matmul ins(%a, %b : tensor<8x0xf32>, tensor<0x16xf32>) outs(%f : tensor<8x16xf32>) -> tensor<8x16xf32>
  return %r : tensor<8x16xf32>
}

// -----

// A zero-row result holds nothing: the ops computing it are gone.
// CHECK-LABEL: func.func @matmul_m0
// CHECK-NEXT: %[[E:.*]] = tensor.empty() : tensor<0x16xf32>
// CHECK-NEXT: return %[[E]]
// FLAT-LABEL: func.func @matmul_m0
// FLAT-SAME: (%{{.*}}: tensor<0xf32>, %{{.*}}: tensor<8x16xf32>) -> tensor<0xf32>
// FLAT-NEXT: %[[E:.*]] = tensor.empty() : tensor<0xf32>
// FLAT-NEXT: return %[[E]]
func.func @matmul_m0(%a: tensor<0x8xf32>, %b: tensor<8x16xf32>) -> tensor<0x16xf32> {
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<0x16xf32>
  %f = linalg.fill ins(%cst : f32) outs(%e : tensor<0x16xf32>) -> tensor<0x16xf32>
  %r = linalg.matmul ins(%a, %b : tensor<0x8xf32>, tensor<8x16xf32>) outs(%f : tensor<0x16xf32>) -> tensor<0x16xf32>
  return %r : tensor<0x16xf32>
}

// -----

// A sum over a 0x0 tensor is its init; inserting an empty slice is the destination.
// CHECK-LABEL: func.func @sum_and_insert
// CHECK-SAME: (%{{.*}}: tensor<0x0xf32>, %[[D:.*]]: tensor<4x6xf32>, %{{.*}}: tensor<4x0xf32>)
// CHECK: %[[ZERO:.*]] = linalg.fill
// CHECK-NOT: linalg.generic
// CHECK-NOT: tensor.insert_slice
// CHECK: return %[[ZERO]], %[[D]] : tensor<f32>, tensor<4x6xf32>
// FLAT-LABEL: func.func @sum_and_insert
// FLAT-SAME: (%{{.*}}: tensor<0xf32>, %[[D:.*]]: tensor<4x6xf32>, %{{.*}}: tensor<0xf32>)
// FLAT: return %{{.*}}, %[[D]] : tensor<f32>, tensor<4x6xf32>
func.func @sum_and_insert(%x: tensor<0x0xf32>, %d: tensor<4x6xf32>, %s: tensor<4x0xf32>) -> (tensor<f32>, tensor<4x6xf32>) {
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<f32>
  %f = linalg.fill ins(%cst : f32) outs(%e : tensor<f32>) -> tensor<f32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> ()>], iterator_types = ["reduction", "reduction"]}
      ins(%x : tensor<0x0xf32>) outs(%f : tensor<f32>) {
  ^bb0(%in: f32, %out: f32):
    %a = arith.addf %in, %out : f32
    linalg.yield %a : f32
  } -> tensor<f32>
  %i = tensor.insert_slice %s into %d[0, 2] [4, 0] [1, 1] : tensor<4x0xf32> into tensor<4x6xf32>
  return %r, %i : tensor<f32>, tensor<4x6xf32>
}

// -----

// Must not change: no tensor of size zero (and a dynamic size may be anything).
// CHECK-LABEL: func.func @nonzero
// CHECK: linalg.matmul
// CHECK: return
// FLAT-LABEL: func.func @nonzero
// FLAT-SAME: (%{{.*}}: tensor<?x8xf32>, %{{.*}}: tensor<8x16xf32>) -> tensor<?x16xf32>
func.func @nonzero(%a: tensor<?x8xf32>, %b: tensor<8x16xf32>) -> tensor<?x16xf32> {
  %c0 = arith.constant 0 : index
  %cst = arith.constant 0.0 : f32
  %m = tensor.dim %a, %c0 : tensor<?x8xf32>
  %e = tensor.empty(%m) : tensor<?x16xf32>
  %f = linalg.fill ins(%cst : f32) outs(%e : tensor<?x16xf32>) -> tensor<?x16xf32>
  %r = linalg.matmul ins(%a, %b : tensor<?x8xf32>, tensor<8x16xf32>) outs(%f : tensor<?x16xf32>) -> tensor<?x16xf32>
  return %r : tensor<?x16xf32>
}

// -----

// A static zero next to a dynamic size: the op iterates zero times (its result keeps
// its dynamic size); an entry point called from another keeps its signature.
// CHECK-LABEL: func.func @dynamic_k0
// CHECK-NOT: linalg.matmul
// CHECK: return
// FLAT-LABEL: func.func @callee
// FLAT-SAME: (%{{.*}}: tensor<2x0xf32>) -> tensor<2x0xf32>
func.func @dynamic_k0(%a: tensor<?x0xf32>, %b: tensor<0x16xf32>, %acc: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<?x0xf32>, tensor<0x16xf32>) outs(%acc : tensor<?x16xf32>) -> tensor<?x16xf32>
  return %r : tensor<?x16xf32>
}
func.func @callee(%x: tensor<2x0xf32>) -> tensor<2x0xf32> {
  return %x : tensor<2x0xf32>
}
func.func @caller(%x: tensor<2x0xf32>) -> tensor<2x0xf32> {
  %r = func.call @callee(%x) : (tensor<2x0xf32>) -> tensor<2x0xf32>
  return %r : tensor<2x0xf32>
}

// -----

// linalg.reduce has no operandSegmentSizes (its ins and inits are the same count): a
// sum over an empty dimension is still its init (the CUDA tiler segfaulted on it).
// CHECK-LABEL: func.func @reduce_over_empty_dim
// CHECK: %[[FILL:.*]] = linalg.fill
// CHECK-NOT: linalg.reduce
// CHECK: return %[[FILL]] : tensor<3x100xf32>
// FLAT-LABEL: func.func @reduce_over_empty_dim
// FLAT-SAME: (%{{.*}}: tensor<0xf32>) -> tensor<3x100xf32>
func.func @reduce_over_empty_dim(%a: tensor<3x100x0xf32>) -> tensor<3x100xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<3x100xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<3x100xf32>) -> tensor<3x100xf32>
  %r = linalg.reduce ins(%a : tensor<3x100x0xf32>) outs(%c : tensor<3x100xf32>) dimensions = [2]
    (%x: f32, %y: f32) {
      %s = arith.addf %x, %y : f32
      linalg.yield %s : f32
    }
  return %r : tensor<3x100xf32>
}

// -----

// A reduce over a non-empty dimension is kept.
// CHECK-LABEL: func.func @reduce_kept
// CHECK: linalg.reduce
func.func @reduce_kept(%a: tensor<3x4xf32>, %c: tensor<3xf32>) -> tensor<3xf32> {
  %r = linalg.reduce ins(%a : tensor<3x4xf32>) outs(%c : tensor<3xf32>) dimensions = [1]
    (%x: f32, %y: f32) {
      %s = arith.maximumf %x, %y : f32
      linalg.yield %s : f32
    }
  return %r : tensor<3xf32>
}

// -----

// A fusion group whose only result has no elements is erased (the canonicalizer would
// fold its body away and leave it empty, which its verifier rejects); a group with
// elements is kept.
// CHECK-LABEL: func.func @empty_group
// CHECK-NOT: kiln.fusion_group
// CHECK: %[[E:.*]] = tensor.empty() : tensor<0xf32>
// CHECK: return %[[E]]
func.func @empty_group(%a: tensor<0xf32>) -> tensor<0xf32> {
  %r = "kiln.fusion_group"() ({
    %0 = arith.addf %a, %a : tensor<0xf32>
    "kiln.yield"(%0) : (tensor<0xf32>) -> ()
  }) {anchor = "arith.addf", kind = "elementwise"} : () -> tensor<0xf32>
  return %r : tensor<0xf32>
}

// -----

// CHECK-LABEL: func.func @group_with_elements
// CHECK: kiln.fusion_group
// CHECK: arith.addf
func.func @group_with_elements(%a: tensor<4xf32>) -> tensor<4xf32> {
  %r = "kiln.fusion_group"() ({
    %0 = arith.addf %a, %a : tensor<4xf32>
    "kiln.yield"(%0) : (tensor<4xf32>) -> ()
  }) {anchor = "arith.addf", kind = "elementwise"} : () -> tensor<4xf32>
  return %r : tensor<4xf32>
}
