// RUN: kiln-opt %S/Inputs/conv-bn-relu-nchw.mlir --kiln-pipeline=cpu --kiln-threads=2 --kiln-vector-width=8 --stop-after=vectorized | FileCheck %s

// Level `vectorized` for a convolution: the NCHW conv runs as an NHWC direct
// convolution, its 4 x 16 output block a loop-carried vector accumulated by
// broadcast-and-FMA steps over kh, kw (4 input channels: all in one step);
// no convolution op and no group is left.

// CHECK-LABEL: func.func @conv_bn_relu
// CHECK-SAME: (%{{.*}}: tensor<1x4x8x8xf32>) -> tensor<1x16x8x8xf32>
// CHECK-NOT: linalg.conv
// CHECK: scf.forall (%{{.*}}) in (2) shared_outs(%{{.*}}) -> (tensor<1x8x8x16xf32>)
// CHECK: %[[ACC0:.*]] = vector.transfer_read {{.*}} : tensor<1x4x16xf32>, vector<4x16xf32>
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[ACC0]]) -> (vector<4x16xf32>)
// CHECK: scf.for {{.*}} -> (vector<4x16xf32>)
// CHECK-COUNT-16: vector.fma {{.*}} : vector<{{8|16}}xf32>
// CHECK: scf.yield {{.*}} : vector<4x16xf32>
// CHECK: vector.transfer_write {{.*}} : vector<4x16xf32>, tensor<1x4x16xf32>
// CHECK: scf.forall.in_parallel
// CHECK-NOT: linalg.conv
// CHECK-NOT: kiln.fusion_group
// CHECK-NOT: kiln.vectorize
// CHECK: return
