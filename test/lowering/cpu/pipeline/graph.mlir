// RUN: kiln-opt %S/Inputs/linear-relu-softmax.mlir --kiln-pipeline=cpu --kiln-threads=2 --kiln-vector-width=8 --stop-after=graph | FileCheck %s

// Level `graph`: weights folded and packed, elementwise chains fused,
// contractions in register-block form; still tensors, no groups, no loops.

// CHECK-LABEL: func.func @linear_relu
// CHECK-SAME: -> tensor<8x16xf32>
// CHECK-NOT: linalg.transpose
// CHECK-NOT: linalg.matmul
// The transposed weight is one packed constant: panels [N/nr, K, nr].
// CHECK: %[[PANELS:.*]] = arith.constant dense<5.000000e-01> : tensor<1x16x16xf32>
// CHECK: %[[MM:.*]] = linalg.generic
// CHECK-SAME: ins(%{{.*}}, %[[PANELS]] : tensor<2x4x16xf32>, tensor<1x16x16xf32>)
// CHECK-SAME: kiln.blocked = array<i64: 4, 16>
// Bias and ReLU are one epilogue in the same blocked iteration space.
// CHECK: %[[EPI:.*]] = linalg.generic
// CHECK-SAME: ins(%[[MM]], %{{.*}} : tensor<2x4x1x16xf32>, tensor<1x16xf32>)
// CHECK-SAME: kiln.epilogue
// CHECK: arith.addf
// CHECK-NEXT: arith.maximumf
// CHECK: tensor.collapse_shape %[[EPI]]
// CHECK-NOT: linalg.generic
// CHECK-NOT: kiln.fusion_group
// CHECK-NOT: scf.
// CHECK: return

// No contraction: nothing is blocked; the reductions stay separate generics.
// CHECK-LABEL: func.func @row_softmax
// CHECK-NOT: kiln.blocked
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "reduction"]
// CHECK: arith.maximumf
// CHECK: linalg.generic
// CHECK: arith.subf
// CHECK-NEXT: math.exp
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "reduction"]
// CHECK: linalg.generic
// CHECK: arith.divf
// CHECK-NOT: kiln.fusion_group
// CHECK-NOT: scf.
// CHECK: return
