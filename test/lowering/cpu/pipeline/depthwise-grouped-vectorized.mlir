// RUN: kiln-opt %S/Inputs/depthwise-grouped-nchw.mlir --split-input-file --kiln-pipeline=cpu --kiln-threads=2 --kiln-vector-width=8 --stop-after=vectorized | FileCheck %s

// Level `vectorized` for depthwise and grouped convolutions, one per shape:
// each runs in NHWC inside one scf.forall with its epilogue (the result goes
// on channels-last, so the epilogue is fused per tile), as vector FMAs on a
// register block carried across the kernel loops. No linalg op is left: no
// convolution runs as scalar loops.

// Depthwise 3x3, stride 1, 32 channels, 14 x 14, bias + relu6: 7 pixels x 8
// channels per block, the 3 taps of a kernel row 3 FMAs on 7 x 8 vectors.
// CHECK-LABEL: func.func @dw3_s1_relu6
// CHECK-SAME: -> tensor<1x14x14x32xf32>
// CHECK-NOT: linalg.
// CHECK: scf.forall (%{{.*}}) in (2) shared_outs(%{{.*}}) -> (tensor<1x14x14x32xf32>)
// CHECK: %[[ACC:.*]] = vector.transfer_read {{.*}} : tensor<1x7x8xf32>, vector<7x8xf32>
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[ACC]]) -> (vector<7x8xf32>)
// CHECK: vector.transfer_read {{.*}} : tensor<1x9x8xf32>, vector<9x8xf32>
// CHECK-COUNT-3: vector.fma {{.*}} : vector<7x8xf32>
// CHECK: arith.maximumf {{.*}} : vector<7x8xf32>
// CHECK: arith.minimumf {{.*}} : vector<7x8xf32>
// CHECK: scf.forall.in_parallel
// CHECK-NOT: linalg.
// CHECK: return

// Depthwise 5x5, stride 2, 48 channels, 14 -> 7, bias + SiLU (polynomial exp):
// the 7 pixels of a row read 17 input pixels; 7 x 5 FMAs per kernel row.
// CHECK-LABEL: func.func @dw5_s2_silu
// CHECK-SAME: -> tensor<1x7x7x48xf32>
// CHECK-NOT: linalg.
// CHECK: scf.forall (%{{.*}}) in (2) shared_outs(%{{.*}}) -> (tensor<1x7x7x48xf32>)
// CHECK: scf.for {{.*}} -> (vector<7x8xf32>)
// CHECK: vector.transfer_read {{.*}} : tensor<1x17x8xf32>, vector<17x8xf32>
// CHECK-COUNT-35: vector.fma {{.*}} : vector<8xf32>
// CHECK: math.floor {{.*}} : vector<7x8xf32>
// CHECK: scf.forall.in_parallel
// CHECK-NOT: linalg.
// CHECK: return

// Depthwise 7x7 (ConvNeXt's last stage), 96 channels, 7 x 7, bias + GELU
// (polynomial erf): 7 FMAs on 7 x 8 vectors per kernel row.
// CHECK-LABEL: func.func @dw7_s1_gelu
// CHECK-SAME: -> tensor<1x7x7x96xf32>
// CHECK-NOT: linalg.
// CHECK: scf.forall (%{{.*}}) in (2) shared_outs(%{{.*}}) -> (tensor<1x7x7x96xf32>)
// CHECK: scf.for {{.*}} -> (vector<7x8xf32>)
// CHECK: vector.transfer_read {{.*}} : tensor<1x13x8xf32>, vector<13x8xf32>
// CHECK-COUNT-7: vector.fma {{.*}} : vector<7x8xf32>
// CHECK: arith.divf {{.*}} : vector<7x8xf32>
// CHECK: scf.forall.in_parallel
// CHECK-NOT: linalg.
// CHECK: return

// Depthwise 3x3, dilation 2, 24 channels (not a multiple of 16), 28 x 28:
// the 7 pixels of a block read 7 + 2 * 2 = 11 input pixels.
// CHECK-LABEL: func.func @dw3_d2_relu
// CHECK-SAME: -> tensor<1x28x28x24xf32>
// CHECK-NOT: linalg.
// CHECK: scf.for {{.*}} -> (vector<7x8xf32>)
// CHECK: vector.transfer_read {{.*}} : tensor<1x11x8xf32>, vector<11x8xf32>
// CHECK-COUNT-3: vector.fma {{.*}} : vector<7x8xf32>
// CHECK: arith.maximumf {{.*}} : vector<7x8xf32>
// CHECK-NOT: linalg.
// CHECK: return

// Grouped 3x3, 8 groups of 4 channels (ResNeXt's first stage), 14 x 14, BN +
// ReLU: the N x H x W x G x F output; each 7-pixel x 4-channel block
// accumulates over the kernel rows and columns in registers (4 x 7 FMAs per
// tap on 4-lane vectors) and the BN + ReLU run on it in the same thread.
// CHECK-LABEL: func.func @gc3_g8_relu
// CHECK-SAME: -> tensor<1x14x14x32xf32>
// CHECK-NOT: linalg.
// CHECK: scf.forall (%{{.*}}) in (2) shared_outs(%{{.*}}) -> (tensor<1x14x14x8x4xf32>)
// CHECK: %[[ACC:.*]] = vector.transfer_read {{.*}} : tensor<1x7x4xf32>, vector<7x4xf32>
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[ACC]]) -> (vector<7x4xf32>)
// CHECK: scf.for {{.*}} -> (vector<7x4xf32>)
// CHECK-COUNT-28: vector.fma {{.*}} : vector<4xf32>
// CHECK: arith.maximumf {{.*}} : vector<7x4xf32>
// CHECK: scf.forall.in_parallel
// CHECK-NOT: linalg.
// CHECK: return

// Grouped 3x3, 4 groups of 16 channels, stride 2, 14 -> 7: the threads take 2
// groups each (7 rows do not split in two); each 7-pixel x 8-channel block
// takes the group's 16 channels in one step, 7 x 16 FMAs.
// CHECK-LABEL: func.func @gc3_g4_s2
// CHECK-SAME: -> tensor<1x7x7x64xf32>
// CHECK-NOT: linalg.
// CHECK: scf.forall (%{{.*}}) in (2) shared_outs(%{{.*}}) -> (tensor<1x7x7x4x16xf32>)
// CHECK: vector.transfer_read {{.*}} : tensor<1x13x16xf32>, vector<13x16xf32>
// CHECK-COUNT-112: vector.fma {{.*}} : vector<8xf32>
// CHECK: scf.forall.in_parallel
// CHECK-NOT: linalg.
// CHECK: return
