// RUN: kiln-opt %S/Inputs/linear-relu-softmax.mlir --kiln-pipeline=cpu --kiln-threads=2 --kiln-vector-width=8 --stop-after=tiled | FileCheck %s

// Level `tiled`: no groups; every contraction sits in a thread-split
// scf.forall (2 threads), in register- or vector-sized tiles marked
// kiln.vectorize; standalone ops this small (8x16: under 16384 iterations)
// run on one thread, in vector tiles.

// The group is one forall over the two m1 blocks; the k loop steps by 8.
// CHECK-LABEL: func.func @linear_relu
// CHECK: %[[C8:.*]] = arith.constant 8 : index
// CHECK-NOT: kiln.fusion_group
// CHECK-NOT: linalg.
// CHECK: %[[FORALL:.*]] = scf.forall (%{{.*}}) in (2) shared_outs(%{{.*}}) -> (tensor<2x4x1x16xf32>)
// CHECK: linalg.fill {{{.*}}kiln.vectorize} {{.*}} -> tensor<1x4x1x16xf32>
// CHECK: scf.for %{{.*}} = %{{.*}} to %{{.*}} step %[[C8]] iter_args
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}}, %{{.*}} : tensor<1x4x8xf32>, tensor<1x8x16xf32>) outs(%{{.*}} : tensor<1x4x1x16xf32>)
// CHECK-SAME: kiln.blocked = array<i64: 4, 16>, {{.*}}kiln.vectorize
// CHECK: linalg.generic
// CHECK-SAME: kiln.epilogue, {{.*}}kiln.vectorize
// CHECK: scf.forall.in_parallel
// CHECK-NOT: linalg.
// CHECK: tensor.collapse_shape %[[FORALL]]
// CHECK-NOT: kiln.fusion_group
// CHECK: return

// Standalone ops, too small to fork for: no forall, one row per op.
// CHECK-LABEL: func.func @row_softmax
// CHECK-NOT: scf.forall
// CHECK: linalg.fill {{{.*}}kiln.vectorize}
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}} : tensor<1x16xf32>) outs(%{{.*}} : tensor<1xf32>)
// CHECK-SAME: kiln.vectorize
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}}, %{{.*}} : tensor<1x16xf32>, tensor<1xf32>) outs(%{{.*}} : tensor<1x16xf32>)
// CHECK-SAME: kiln.vectorize
// CHECK: math.exp
// CHECK: return
