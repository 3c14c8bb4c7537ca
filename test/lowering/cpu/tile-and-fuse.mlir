// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-tile-and-fuse{threads=2 min-parallel-iterations=1})' | FileCheck %s
// RUN: not kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-tile-and-fuse{threads=0})' 2>&1 | FileCheck %s --check-prefix=ERR

// Input: the cpu pipeline's `grouped` level for linear + bias + relu, 8x16x16
// with a 4 x 16 register block: loops (m1, n1, k, m0, n0) = (2, 1, 16, 4, 16).
#mA = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d2)>
#mB = affine_map<(d0, d1, d2, d3, d4) -> (d2, d1, d4)>
#mC = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d1, d4)>
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#bias = affine_map<(d0, d1, d2, d3) -> (d2, d3)>

// The group becomes one scf.forall splitting m1 across the 2 threads; inside
// it, the fill, the contraction (k by 8, one 4 x 16 block per op) and the
// epilogue are tiled to register blocks marked kiln.vectorize.
// CHECK-LABEL: func.func @group
// CHECK-NOT: kiln.fusion_group
// CHECK: %[[FORALL:.*]] = scf.forall (%[[T:.*]]) in (2) shared_outs(%[[OUT:.*]] = %{{.*}}) -> (tensor<2x4x1x16xf32>)
// CHECK: tensor.extract_slice %[[OUT]][%[[T]], 0, 0, 0] [1, 4, 1, 16]
// CHECK: scf.for
// CHECK: linalg.fill {{{.*}}kiln.vectorize} {{.*}} -> tensor<1x4x1x16xf32>
// CHECK: scf.for
// CHECK: %[[C8:.*]] = arith.constant 8 : index
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %[[C8]] iter_args
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}}, %{{.*}} : tensor<1x4x8xf32>, tensor<8x1x16xf32>) outs(%{{.*}} : tensor<1x4x1x16xf32>)
// CHECK-SAME: kiln.blocked = array<i64: 4, 16>, {{.*}}kiln.vectorize
// CHECK: scf.for
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}}, %{{.*}} : tensor<1x4x1x16xf32>, tensor<1x16xf32>) outs(%{{.*}} : tensor<1x4x1x16xf32>)
// CHECK-SAME: kiln.epilogue, {{.*}}kiln.vectorize
// CHECK: scf.forall.in_parallel
// CHECK-NEXT: tensor.parallel_insert_slice %{{.*}} into %[[OUT]][%[[T]], 0, 0, 0] [1, 4, 1, 16]
// CHECK: %[[R:.*]] = tensor.collapse_shape %[[FORALL]]
// CHECK-NOT: kiln.fusion_group
// CHECK-NOT: kiln.t
// CHECK: return %[[R]]
func.func @group(%x: tensor<8x16xf32>, %w: tensor<16x16xf32>, %bias: tensor<16xf32>) -> tensor<8x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x16xf32>
  %a = tensor.expand_shape %x [[0, 1], [2]] output_shape [2, 4, 16] : tensor<8x16xf32> into tensor<2x4x16xf32>
  %b = tensor.expand_shape %w [[0], [1, 2]] output_shape [16, 1, 16] : tensor<16x16xf32> into tensor<16x1x16xf32>
  %c = tensor.expand_shape %e [[0, 1], [2, 3]] output_shape [2, 4, 1, 16] : tensor<8x16xf32> into tensor<2x4x1x16xf32>
  %bias2 = tensor.expand_shape %bias [[0, 1]] output_shape [1, 16] : tensor<16xf32> into tensor<1x16xf32>
  %g = "kiln.fusion_group"() ({
    %acc = linalg.fill ins(%zero : f32) outs(%c : tensor<2x4x1x16xf32>) -> tensor<2x4x1x16xf32>
    %mm = linalg.generic {indexing_maps = [#mA, #mB, #mC], iterator_types = ["parallel", "parallel", "reduction", "parallel", "parallel"]}
        ins(%a, %b : tensor<2x4x16xf32>, tensor<16x1x16xf32>) outs(%acc : tensor<2x4x1x16xf32>) attrs = {kiln.blocked = array<i64: 4, 16>} {
    ^bb0(%p: f32, %q: f32, %o: f32):
      %m = arith.mulf %p, %q : f32
      %s = arith.addf %o, %m : f32
      linalg.yield %s : f32
    } -> tensor<2x4x1x16xf32>
    %epi = linalg.generic {indexing_maps = [#id4, #bias, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
        ins(%mm, %bias2 : tensor<2x4x1x16xf32>, tensor<1x16xf32>) outs(%c : tensor<2x4x1x16xf32>) attrs = {kiln.epilogue} {
    ^bb0(%v: f32, %b0: f32, %o: f32):
      %s = arith.addf %v, %b0 : f32
      %r = arith.maximumf %s, %zero : f32
      linalg.yield %r : f32
    } -> tensor<2x4x1x16xf32>
    "kiln.yield"(%epi) : (tensor<2x4x1x16xf32>) -> ()
  }) {anchor = "linalg.generic", kind = "contraction"} : () -> tensor<2x4x1x16xf32>
  %out = tensor.collapse_shape %g [[0, 1], [2, 3]] : tensor<2x4x1x16xf32> into tensor<8x16xf32>
  return %out : tensor<8x16xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#rows = affine_map<(d0, d1) -> (d0)>

// A standalone op: rows split across the threads, then one vector-sized row
// per innermost op (a 1 x 16 reduction, marked kiln.vectorize).
// CHECK-LABEL: func.func @row_max
// CHECK: scf.forall (%{{.*}}) in (2)
// CHECK: tensor.extract_slice %{{.*}} [4, 16] [1, 1] : tensor<8x16xf32> to tensor<4x16xf32>
// CHECK: scf.for
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "reduction"]
// CHECK-SAME: ins(%{{.*}} : tensor<1x16xf32>) outs(%{{.*}} : tensor<1xf32>)
// CHECK-SAME: kiln.vectorize
// CHECK: scf.forall.in_parallel
func.func @row_max(%x: tensor<8x16xf32>, %init: tensor<8xf32>) -> tensor<8xf32> {
  %r = linalg.generic {indexing_maps = [#id, #rows], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<8x16xf32>) outs(%init : tensor<8xf32>) {
  ^bb0(%v: f32, %o: f32):
    %m = arith.maximumf %v, %o : f32
    linalg.yield %m : f32
  } -> tensor<8xf32>
  return %r : tensor<8xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// Must not change: a dynamically shaped op is neither tiled nor marked.
// CHECK-LABEL: func.func @dynamic
// CHECK-NOT: scf.forall
// CHECK-NOT: scf.for
// CHECK: %[[R:.*]] = linalg.generic
// CHECK-SAME: ins(%{{.*}} : tensor<?x16xf32>) outs(%{{.*}} : tensor<?x16xf32>) {
// CHECK-NOT: kiln.vectorize
// CHECK: return %[[R]]
func.func @dynamic(%x: tensor<?x16xf32>, %o: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<?x16xf32>) outs(%o : tensor<?x16xf32>) {
  ^bb0(%v: f32, %out: f32):
    %n = arith.negf %v : f32
    linalg.yield %n : f32
  } -> tensor<?x16xf32>
  return %r : tensor<?x16xf32>
}

// ERR: error: kiln-tile-and-fuse: threads must be >= 1, got 0
