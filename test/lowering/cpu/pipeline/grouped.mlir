// RUN: kiln-opt %S/Inputs/linear-relu-softmax.mlir --kiln-pipeline=cpu --kiln-threads=2 --kiln-vector-width=8 --stop-after=grouped | FileCheck %s

// Level `grouped`: each blocked contraction sits in one kiln.fusion_group with
// its fill and its epilogue; everything else is unchanged.

// CHECK-LABEL: func.func @linear_relu
// CHECK: %[[GROUP:.*]] = "kiln.fusion_group"() ({
// CHECK-NEXT: %[[FILL:.*]] = linalg.fill
// CHECK-NEXT: %[[MM:.*]] = linalg.generic
// CHECK-SAME: outs(%[[FILL]] : tensor<2x4x1x16xf32>)
// CHECK-SAME: kiln.blocked = array<i64: 4, 16>
// CHECK: %[[EPI:.*]] = linalg.generic
// CHECK-SAME: ins(%[[MM]], %{{.*}} : tensor<2x4x1x16xf32>, tensor<1x16xf32>)
// CHECK-SAME: kiln.epilogue
// CHECK: "kiln.yield"(%[[EPI]])
// CHECK-NEXT: }) {anchor = "linalg.generic", kind = "contraction"{{.*}}} : () -> tensor<2x4x1x16xf32>
// CHECK-NOT: linalg.
// CHECK: tensor.collapse_shape %[[GROUP]]
// CHECK: return

// CHECK-LABEL: func.func @row_softmax
// CHECK-NOT: kiln.fusion_group
// CHECK: linalg.generic
// CHECK-NOT: kiln.fusion_group
// CHECK: return
