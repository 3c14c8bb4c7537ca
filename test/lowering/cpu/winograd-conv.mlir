// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-winograd-conv{tile=2 min-size=1})' | FileCheck %s
// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-winograd-conv{min-size=1})' | FileCheck %s --check-prefix=AUTO
// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-winograd-conv)' | FileCheck %s --check-prefix=RULE
// RUN: not kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-winograd-conv{tile=3})' 2>&1 | FileCheck %s --check-prefix=ERR
// RUN: not kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-winograd-conv{separable-above=-1})' 2>&1 | FileCheck %s --check-prefix=ERR2
// ERR2: kiln-winograd-conv: separable-above must be >= 0, got -1

// F(2,3) on an 8 x 8 output: 4 x 4 tiles of 2 x 2 pixels, 16 tile positions.
// The input transform reads 16 strided views of the input (stride 2 = m) and
// writes one [N, TH, TW, C] tensor per position; the filter is transformed at
// compile time into a [16, C, F] constant; a batch matmul over the positions;
// the output transform computes AT M A per tile and adds it to the init (the bias).
// CHECK-LABEL: func.func @f23
// CHECK-SAME: (%[[X:.*]]: tensor<1x10x10x32xf32>, %[[INIT:.*]]: tensor<1x8x8x32xf32>)
// CHECK-NOT: linalg.conv_2d_nhwc_hwcf
// CHECK: %[[U:.*]] = arith.constant dense<{{.*}}> : tensor<16x32x32xf32>
// CHECK: tensor.extract_slice %[[X]][0, 0, 0, 0] [1, 4, 4, 32] [1, 2, 2, 1]
// CHECK: tensor.extract_slice %[[X]][0, 3, 3, 0] [1, 4, 4, 32] [1, 2, 2, 1]
// CHECK: %[[V:.*]]:16 = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "parallel", "parallel"]
// CHECK: arith.subf
// CHECK: linalg.yield
// CHECK: %[[VC:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0], [1, 2, 3], [4]] : tensor<16x1x4x4x32xf32> into tensor<16x16x32xf32>
// CHECK: %[[MM:.*]] = linalg.batch_matmul ins(%[[VC]], %[[U]] : tensor<16x16x32xf32>, tensor<16x32x32xf32>)
// The output transform reads each tile's 16 products once and writes its 4
// outputs (AT M A by AT's nonzeros: 24 adds and subtracts, no multiply) into
// Z[i, j, n, th, tw, f], one contiguous slice per (i, j).
// CHECK: %[[Z:.*]] = tensor.empty() : tensor<4x1x4x4x32xf32>
// CHECK: %[[T:.*]]:4 = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "parallel", "parallel"]
// CHECK-NOT: arith.mulf
// CHECK-COUNT-24: arith.{{addf|subf}}
// CHECK-NOT: arith.
// CHECK: linalg.yield
// CHECK: %[[Z0:.*]] = tensor.insert_slice %[[T]]#0 into %[[Z]][0, 0, 0, 0, 0] [1, 1, 4, 4, 32] [1, 1, 1, 1, 1]
// CHECK: %[[Z3:.*]] = tensor.insert_slice %[[T]]#3 into %{{.*}}[3, 0, 0, 0, 0] [1, 1, 4, 4, 32]
// CHECK: %[[ZIJ:.*]] = tensor.expand_shape %[[Z3]] {{\[\[}}0, 1], [2], [3], [4], [5]] output_shape [2, 2, 1, 4, 4, 32]
// The init (the bias) is added by an elementwise op the epilogue fuses into.
// CHECK: %[[INIT6:.*]] = tensor.expand_shape %{{.*}} output_shape [1, 4, 2, 4, 2, 32]
// CHECK: %[[Y:.*]] = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "parallel"]
// CHECK-SAME: ins(%[[ZIJ]] : tensor<2x2x1x4x4x32xf32>) outs(%[[INIT6]] : tensor<1x4x2x4x2x32xf32>)
// CHECK: arith.addf
// CHECK-NEXT: linalg.yield
// CHECK: %[[OUT:.*]] = tensor.collapse_shape %[[Y]] {{\[\[}}0], [1, 2], [3, 4], [5]] : tensor<1x4x2x4x2x32xf32> into tensor<1x8x8x32xf32>
// CHECK: return %[[OUT]]
// AUTO-LABEL: func.func @f23
// By default outputs under 14 x 14 keep the direct convolution (measured: F(2,3) on
// ResNet-18's 7 x 7 layers does not win at 2 threads; README, Winograd section).
// RULE-LABEL: func.func @f23
// RULE: linalg.conv_2d_nhwc_hwcf
// AUTO: linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<36x4x32xf32>, tensor<36x32x32xf32>)
func.func @f23(%x: tensor<1x10x10x32xf32>, %init: tensor<1x8x8x32xf32>) -> tensor<1x8x8x32xf32> {
  %w = arith.constant dense<0.5> : tensor<3x3x32x32xf32>
  %0 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x10x10x32xf32>, tensor<3x3x32x32xf32>) outs(%init : tensor<1x8x8x32xf32>) -> tensor<1x8x8x32xf32>
  return %0 : tensor<1x8x8x32xf32>
}

// -----

// A 5 x 5 output is not a whole number of 2 x 2 tiles: 3 x 3 tiles, and a
// fourth tile column makes the tile count (12) a multiple of the 4- and 6-row
// register blocks. The zero padding of the input is rebuilt larger (3 x 4
// tiles read an 8 x 10 input), the init is padded, and the result is cut
// back to 5 x 5.
// CHECK-LABEL: func.func @odd_size
// CHECK: %[[BUF:.*]] = bufferization.alloc_tensor() : tensor<1x8x10x32xf32>
// CHECK: %[[ZERO:.*]] = linalg.fill ins(%{{.*}} : f32) outs(%[[BUF]] : tensor<1x8x10x32xf32>)
// CHECK: %[[XP:.*]] = tensor.insert_slice %{{.*}} into %[[ZERO]][0, 1, 1, 0] [1, 5, 5, 32] [1, 1, 1, 1]
// CHECK: tensor.extract_slice %[[XP]][0, 0, 0, 0] [1, 3, 4, 32] [1, 2, 2, 1]
// CHECK: linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<16x12x32xf32>, tensor<16x32x32xf32>)
// CHECK: tensor.pad %{{.*}} low[0, 0, 0, 0] high[0, 1, 3, 0]
// CHECK: %[[Y:.*]] = tensor.collapse_shape %{{.*}} : tensor<1x3x2x4x2x32xf32> into tensor<1x6x8x32xf32>
// CHECK: tensor.extract_slice %[[Y]][0, 0, 0, 0] [1, 5, 5, 32] [1, 1, 1, 1] : tensor<1x6x8x32xf32> to tensor<1x5x5x32xf32>
func.func @odd_size(%x: tensor<1x5x5x32xf32>, %init: tensor<1x5x5x32xf32>) -> tensor<1x5x5x32xf32> {
  %w = arith.constant dense<0.5> : tensor<3x3x32x32xf32>
  %zero = arith.constant 0.0 : f32
  %buf = bufferization.alloc_tensor() : tensor<1x7x7x32xf32>
  %filled = linalg.fill ins(%zero : f32) outs(%buf : tensor<1x7x7x32xf32>) -> tensor<1x7x7x32xf32>
  %padded = tensor.insert_slice %x into %filled[0, 1, 1, 0] [1, 5, 5, 32] [1, 1, 1, 1] : tensor<1x5x5x32xf32> into tensor<1x7x7x32xf32>
  %0 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%padded, %w : tensor<1x7x7x32xf32>, tensor<3x3x32x32xf32>) outs(%init : tensor<1x5x5x32xf32>) -> tensor<1x5x5x32xf32>
  return %0 : tensor<1x5x5x32xf32>
}

// -----

// Not rewritten: stride 2, a 1x1 filter, dilation 2, a runtime filter, too few
// channels (3 < min-channels), a dynamic batch, a grouped convolution.
// CHECK-LABEL: func.func @unchanged
// CHECK-NOT: linalg.batch_matmul
// CHECK-COUNT-6: linalg.conv_2d_nhwc_hwcf
// CHECK: linalg.conv_2d_nhwgc_gfhwc
// CHECK-NOT: linalg.batch_matmul
func.func @unchanged(%x: tensor<1x10x10x32xf32>, %wr: tensor<3x3x32x32xf32>, %x3: tensor<1x10x10x3xf32>, %xd: tensor<?x10x10x32xf32>, %xg: tensor<1x10x10x2x16xf32>) -> (tensor<1x4x4x32xf32>, tensor<1x10x10x32xf32>, tensor<1x6x6x32xf32>, tensor<1x8x8x32xf32>, tensor<1x8x8x32xf32>, tensor<?x8x8x32xf32>, tensor<1x8x8x2x16xf32>) {
  %w = arith.constant dense<0.5> : tensor<3x3x32x32xf32>
  %w1 = arith.constant dense<0.5> : tensor<1x1x32x32xf32>
  %w3 = arith.constant dense<0.5> : tensor<3x3x3x32xf32>
  %wg = arith.constant dense<0.5> : tensor<2x16x3x3x16xf32>
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %e4 = tensor.empty() : tensor<1x4x4x32xf32>
  %i4 = linalg.fill ins(%zero : f32) outs(%e4 : tensor<1x4x4x32xf32>) -> tensor<1x4x4x32xf32>
  %s2 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>} ins(%x, %w : tensor<1x10x10x32xf32>, tensor<3x3x32x32xf32>) outs(%i4 : tensor<1x4x4x32xf32>) -> tensor<1x4x4x32xf32>
  %e10 = tensor.empty() : tensor<1x10x10x32xf32>
  %i10 = linalg.fill ins(%zero : f32) outs(%e10 : tensor<1x10x10x32xf32>) -> tensor<1x10x10x32xf32>
  %k1 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w1 : tensor<1x10x10x32xf32>, tensor<1x1x32x32xf32>) outs(%i10 : tensor<1x10x10x32xf32>) -> tensor<1x10x10x32xf32>
  %e6 = tensor.empty() : tensor<1x6x6x32xf32>
  %i6 = linalg.fill ins(%zero : f32) outs(%e6 : tensor<1x6x6x32xf32>) -> tensor<1x6x6x32xf32>
  %d2 = linalg.conv_2d_nhwc_hwcf {dilations = dense<2> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x10x10x32xf32>, tensor<3x3x32x32xf32>) outs(%i6 : tensor<1x6x6x32xf32>) -> tensor<1x6x6x32xf32>
  %e8 = tensor.empty() : tensor<1x8x8x32xf32>
  %i8 = linalg.fill ins(%zero : f32) outs(%e8 : tensor<1x8x8x32xf32>) -> tensor<1x8x8x32xf32>
  %rt = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %wr : tensor<1x10x10x32xf32>, tensor<3x3x32x32xf32>) outs(%i8 : tensor<1x8x8x32xf32>) -> tensor<1x8x8x32xf32>
  %c3 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x3, %w3 : tensor<1x10x10x3xf32>, tensor<3x3x3x32xf32>) outs(%i8 : tensor<1x8x8x32xf32>) -> tensor<1x8x8x32xf32>
  %n = tensor.dim %xd, %c0 : tensor<?x10x10x32xf32>
  %ed = tensor.empty(%n) : tensor<?x8x8x32xf32>
  %id = linalg.fill ins(%zero : f32) outs(%ed : tensor<?x8x8x32xf32>) -> tensor<?x8x8x32xf32>
  %dy = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%xd, %w : tensor<?x10x10x32xf32>, tensor<3x3x32x32xf32>) outs(%id : tensor<?x8x8x32xf32>) -> tensor<?x8x8x32xf32>
  %eg = tensor.empty() : tensor<1x8x8x2x16xf32>
  %ig = linalg.fill ins(%zero : f32) outs(%eg : tensor<1x8x8x2x16xf32>) -> tensor<1x8x8x2x16xf32>
  %gr = linalg.conv_2d_nhwgc_gfhwc {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%xg, %wg : tensor<1x10x10x2x16xf32>, tensor<2x16x3x3x16xf32>) outs(%ig : tensor<1x8x8x2x16xf32>) -> tensor<1x8x8x2x16xf32>
  return %s2, %k1, %d2, %rt, %c3, %dy, %gr : tensor<1x4x4x32xf32>, tensor<1x10x10x32xf32>, tensor<1x6x6x32xf32>, tensor<1x8x8x32xf32>, tensor<1x8x8x32xf32>, tensor<?x8x8x32xf32>, tensor<1x8x8x2x16xf32>
}

// -----

// 64 channels at 56 x 56 (ResNet-18's first stage), default options: F(4,3),
// 14 x 14 tiles, and the transformed input and products (36 x 196 tiles x 128
// channels, 3.6 MB) are computed in 7 blocks of 2 tile rows (516 KB each) inside
// one scf.forall marked for the thread split: each block's input transform,
// batch matmul and output transform run while its tensors are in cache. The
// init (the bias) is added after the loop, where the epilogue fuses.
// CHECK-LABEL: func.func @blocked
// RULE-LABEL: func.func @blocked
// RULE: %[[Z:.*]] = tensor.empty() : tensor<4x4x1x14x14x64xf32>
// RULE: %[[LOOP:.*]] = scf.forall (%[[B:.*]]) in (7) shared_outs(%[[ZB:.*]] = %[[Z]]) -> (tensor<4x4x1x14x14x64xf32>)
// RULE: %[[ROW:.*]] = arith.muli %[[B]], %{{.*}} : index
// RULE: %[[PIXEL:.*]] = arith.muli %[[B]], %{{.*}} : index
// RULE: %[[XB:.*]] = tensor.extract_slice %{{.*}}[0, %[[PIXEL]], 0, 0] [1, 10, 58, 64] [1, 1, 1, 1]
// RULE: tensor.extract_slice %[[XB]][0, 0, 0, 0] [1, 2, 14, 64] [1, 4, 4, 1]
// RULE: linalg.generic
// RULE: linalg.batch_matmul ins(%{{.*}}, %{{.*}} : tensor<36x28x64xf32>, tensor<36x64x64xf32>)
// RULE: %[[T:.*]]:16 = linalg.generic
// RULE: scf.forall.in_parallel
// RULE-NEXT: tensor.parallel_insert_slice %{{.*}} into %[[ZB]][0, 0, 0, %[[ROW]], 0, 0] [4, 4, 1, 2, 14, 64] [1, 1, 1, 1, 1, 1]
// RULE: } {kiln.thread_blocks}
// RULE: linalg.generic
// RULE-SAME: ins(%[[LOOP]] : tensor<4x4x1x14x14x64xf32>)
func.func @blocked(%x: tensor<1x58x58x64xf32>, %init: tensor<1x56x56x64xf32>) -> tensor<1x56x56x64xf32> {
  %w = arith.constant dense<0.5> : tensor<3x3x64x64xf32>
  %0 = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>} ins(%x, %w : tensor<1x58x58x64xf32>, tensor<3x3x64x64xf32>) outs(%init : tensor<1x56x56x64xf32>) -> tensor<1x56x56x64xf32>
  return %0 : tensor<1x56x56x64xf32>
}

// ERR: kiln-winograd-conv: tile must be 0 (per layer), 2 or 4, got 3
