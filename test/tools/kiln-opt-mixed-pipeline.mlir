// Upstream and kiln passes mix in one --pass-pipeline, upstream ones nested
// under op anchors too; the output goes to -o, or to stdout from stdin.
// RUN: kiln-opt %s --pass-pipeline='builtin.module(canonicalize, kiln-fuse-elementwise, func.func(cse), kiln-pack-contractions{vector-width=8}, canonicalize)' -o %t
// RUN: FileCheck %s < %t
// RUN: kiln-opt --pass-pipeline='builtin.module(canonicalize, kiln-fuse-elementwise, func.func(cse), kiln-pack-contractions{vector-width=8}, canonicalize)' < %s | FileCheck %s

#id = affine_map<(d0, d1) -> (d0, d1)>

// Each kind ran: canonicalize erased the dead negation, kiln-fuse-elementwise
// fused add and relu, kiln-pack-contractions blocked the matmul.
// CHECK-LABEL: func.func @mixed
// CHECK-NOT: arith.negf
// CHECK: %[[MM:.*]] = linalg.generic
// CHECK-SAME: kiln.blocked = array<i64: 8, 8>
// CHECK: linalg.generic
// CHECK: arith.addf
// CHECK-NEXT: arith.maximumf
// CHECK-NOT: linalg.generic
// CHECK: return
func.func @mixed(%x: tensor<8x16xf32>, %w: tensor<16x8xf32>, %acc: tensor<8x8xf32>, %y: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %dead = arith.negf %y : tensor<8x8xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<8x16xf32>, tensor<16x8xf32>) outs(%acc : tensor<8x8xf32>) -> tensor<8x8xf32>
  %e1 = tensor.empty() : tensor<8x8xf32>
  %sum = linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%mm, %y : tensor<8x8xf32>, tensor<8x8xf32>) outs(%e1 : tensor<8x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<8x8xf32>
  %e2 = tensor.empty() : tensor<8x8xf32>
  %relu = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%sum : tensor<8x8xf32>) outs(%e2 : tensor<8x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %z = arith.constant 0.0 : f32
    %r = arith.maximumf %a, %z : f32
    linalg.yield %r : f32
  } -> tensor<8x8xf32>
  return %relu : tensor<8x8xf32>
}
