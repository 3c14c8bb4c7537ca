// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-pack-conv-filters)' | FileCheck %s

// A 1x1x4x8 filter (W[0, 0, c, f] = 8c + f) read in 4x4 tiles, output channels
// 4 at a time: stored as P[0, 0, f/4, c, f%4], each tile one contiguous run.
// CHECK-LABEL: func.func @tiles
// CHECK: %[[P:.*]] = arith.constant dense<{{\[\[\[\[}}[0.000000e+00, 1.000000e+00, 2.000000e+00, 3.000000e+00], [8.000000e+00, 9.000000e+00, 1.000000e+01, 1.100000e+01], [1.600000e+01, 1.700000e+01, 1.800000e+01, 1.900000e+01], [2.400000e+01, 2.500000e+01, 2.600000e+01, 2.700000e+01]], {{\[\[}}4.000000e+00, 5.000000e+00, 6.000000e+00, 7.000000e+00], [1.200000e+01, {{.*}} : tensor<1x1x2x4x4xf32>
// CHECK-NOT: tensor<1x1x4x8xf32>
// CHECK: scf.for %[[F:[a-z0-9_]+]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args
// CHECK: %[[B:.*]] = arith.divui %[[F]], %{{.*}} : index
// CHECK: %[[S:.*]] = tensor.extract_slice %[[P]][0, 0, %[[B]], 0, 0] [1, 1, 1, 4, 4] [1, 1, 1, 1, 1] : tensor<1x1x2x4x4xf32> to tensor<1x1x1x4x4xf32>
// CHECK: %[[T:.*]] = tensor.collapse_shape %[[S]] {{\[\[}}0], [1], [2, 3], [4]] : tensor<1x1x1x4x4xf32> into tensor<1x1x4x4xf32>
// CHECK: tensor.insert_slice %[[T]]
func.func @tiles(%out: tensor<1x1x4x8xf32>) -> tensor<1x1x4x8xf32> {
  %w = arith.constant dense<[[[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
                               [8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0],
                               [16.0, 17.0, 18.0, 19.0, 20.0, 21.0, 22.0, 23.0],
                               [24.0, 25.0, 26.0, 27.0, 28.0, 29.0, 30.0, 31.0]]]]> : tensor<1x1x4x8xf32>
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %r = scf.for %f = %c0 to %c8 step %c4 iter_args(%acc = %out) -> (tensor<1x1x4x8xf32>) {
    %t = tensor.extract_slice %w[0, 0, 0, %f] [1, 1, 4, 4] [1, 1, 1, 1] : tensor<1x1x4x8xf32> to tensor<1x1x4x4xf32>
    %n = tensor.insert_slice %t into %acc[0, 0, 0, %f] [1, 1, 4, 4] [1, 1, 1, 1] : tensor<1x1x4x4xf32> into tensor<1x1x4x8xf32>
    scf.yield %n : tensor<1x1x4x8xf32>
  }
  return %r : tensor<1x1x4x8xf32>
}

// -----

// An offset that is not a multiple of the tile width (step 2 for 4-wide tiles)
// could straddle two blocks: the filter is left as it is.
// CHECK-LABEL: func.func @unaligned
// CHECK: arith.constant dense<{{.*}}> : tensor<1x1x4x8xf32>
// CHECK-NOT: collapse_shape
func.func @unaligned(%out: tensor<1x1x4x4xf32>) -> tensor<1x1x4x4xf32> {
  %w = arith.constant dense<1.5> : tensor<1x1x4x8xf32>
  %c0 = arith.constant 0 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %r = scf.for %f = %c0 to %c4 step %c2 iter_args(%acc = %out) -> (tensor<1x1x4x4xf32>) {
    %t = tensor.extract_slice %w[0, 0, 0, %f] [1, 1, 4, 4] [1, 1, 1, 1] : tensor<1x1x4x8xf32> to tensor<1x1x4x4xf32>
    scf.yield %t : tensor<1x1x4x4xf32>
  }
  return %r : tensor<1x1x4x4xf32>
}

// -----

// Threads split the output channels: the offset is an affine.apply of the
// scf.forall index (8 per thread) plus a 4-step loop variable.
// CHECK-LABEL: func.func @per_thread
// CHECK: arith.constant dense<{{.*}}> : tensor<1x1x4x4x4xf32>
// CHECK: scf.forall (%[[T:[a-z0-9_]+]]) in (2)
// CHECK: %[[BASE:.*]] = affine.apply #{{.*}}(%[[T]])
// CHECK: scf.for %[[F:[a-z0-9_]+]] =
// CHECK: %[[OFF:.*]] = affine.apply #{{.*}}(%[[F]])[%[[BASE]]]
// CHECK: arith.divui %[[OFF]]
// CHECK: tensor.collapse_shape
func.func @per_thread(%out: tensor<1x1x4x16xf32>) -> tensor<1x1x4x16xf32> {
  %w = arith.constant dense<[[[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0],
                               [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0],
                               [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0],
                               [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0]]]]> : tensor<1x1x4x16xf32>
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %r = scf.forall (%t) in (2) shared_outs(%o = %out) -> (tensor<1x1x4x16xf32>) {
    %base = affine.apply affine_map<(d0) -> (d0 * 8)>(%t)
    %part = tensor.extract_slice %o[0, 0, 0, %base] [1, 1, 4, 8] [1, 1, 1, 1] : tensor<1x1x4x16xf32> to tensor<1x1x4x8xf32>
    %p = scf.for %f = %c0 to %c8 step %c4 iter_args(%acc = %part) -> (tensor<1x1x4x8xf32>) {
      %off = affine.apply affine_map<(d0)[s0] -> (d0 + s0)>(%f)[%base]
      %t4 = tensor.extract_slice %w[0, 0, 0, %off] [1, 1, 4, 4] [1, 1, 1, 1] : tensor<1x1x4x16xf32> to tensor<1x1x4x4xf32>
      %n = tensor.insert_slice %t4 into %acc[0, 0, 0, %f] [1, 1, 4, 4] [1, 1, 1, 1] : tensor<1x1x4x4xf32> into tensor<1x1x4x8xf32>
      scf.yield %n : tensor<1x1x4x8xf32>
    }
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %p into %o[0, 0, 0, %base] [1, 1, 4, 8] [1, 1, 1, 1] : tensor<1x1x4x8xf32> into tensor<1x1x4x16xf32>
    }
  }
  return %r : tensor<1x1x4x16xf32>
}

// -----

// The forall slices each thread's share of the output channels off the filter
// first (8 of 16, as the channel-split schedule does when rows do not divide
// among threads); the tiles of that share read the packed constant directly,
// at block (share offset + tile offset) / 4, and the share slice goes away.
// CHECK-LABEL: func.func @thread_share
// CHECK: %[[P:.*]] = arith.constant dense<{{.*}}> : tensor<1x1x4x4x4xf32>
// CHECK-NOT: tensor<1x1x4x16xf32> to tensor<1x1x4x8xf32>
// CHECK: scf.forall (%[[T:[a-z0-9_]+]]) in (2)
// CHECK: %[[BASE:.*]] = affine.apply #{{.*}}(%[[T]])
// CHECK: scf.for %[[F:[a-z0-9_]+]] =
// CHECK: %[[OFF:.*]] = arith.addi %[[BASE]], %[[F]] : index
// CHECK: %[[B:.*]] = arith.divui %[[OFF]], %{{.*}} : index
// CHECK: tensor.extract_slice %[[P]][0, 0, %[[B]], 0, 0] [1, 1, 1, 4, 4]
// CHECK: tensor.collapse_shape
func.func @thread_share(%out: tensor<1x1x4x16xf32>) -> tensor<1x1x4x16xf32> {
  %w = arith.constant dense<[[[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0],
                               [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0],
                               [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0],
                               [0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0]]]]> : tensor<1x1x4x16xf32>
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %r = scf.forall (%t) in (2) shared_outs(%o = %out) -> (tensor<1x1x4x16xf32>) {
    %base = affine.apply affine_map<(d0) -> (d0 * 8)>(%t)
    %share = tensor.extract_slice %w[0, 0, 0, %base] [1, 1, 4, 8] [1, 1, 1, 1] : tensor<1x1x4x16xf32> to tensor<1x1x4x8xf32>
    %part = tensor.extract_slice %o[0, 0, 0, %base] [1, 1, 4, 8] [1, 1, 1, 1] : tensor<1x1x4x16xf32> to tensor<1x1x4x8xf32>
    %p = scf.for %f = %c0 to %c8 step %c4 iter_args(%acc = %part) -> (tensor<1x1x4x8xf32>) {
      %t4 = tensor.extract_slice %share[0, 0, 0, %f] [1, 1, 4, 4] [1, 1, 1, 1] : tensor<1x1x4x8xf32> to tensor<1x1x4x4xf32>
      %n = tensor.insert_slice %t4 into %acc[0, 0, 0, %f] [1, 1, 4, 4] [1, 1, 1, 1] : tensor<1x1x4x4xf32> into tensor<1x1x4x8xf32>
      scf.yield %n : tensor<1x1x4x8xf32>
    }
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %p into %o[0, 0, 0, %base] [1, 1, 4, 8] [1, 1, 1, 1] : tensor<1x1x4x8xf32> into tensor<1x1x4x16xf32>
    }
  }
  return %r : tensor<1x1x4x16xf32>
}

// -----

// A 1x1 filter whose tiles take every input channel (C = 4 <= kc), as
// tile-and-fuse reads it for conv_1d: the 4x4 tile, then a rank-reducing
// slice of it. The tile is also a share (kh, kw, C whole): its reads take the
// packed constant and keep their rank-reduced type (issue 12: the rewrite
// gave them the tile's rank-4 type, which conv_1d rejected).
// CHECK-LABEL: func.func @rank_reducing_tile
// CHECK: %[[P:.*]] = arith.constant dense<{{.*}}> : tensor<1x1x2x4x4xf32>
// CHECK: scf.for %[[F:[a-z0-9_]+]] =
// CHECK: %[[B:.*]] = arith.divui %[[F]], %{{.*}} : index
// CHECK: %[[S:.*]] = tensor.extract_slice %[[P]][0, 0, %[[B]], 0, 0] [1, 1, 1, 4, 4] [1, 1, 1, 1, 1] : tensor<1x1x2x4x4xf32> to tensor<1x1x1x4x4xf32>
// CHECK: %[[T:.*]] = tensor.collapse_shape %[[S]] {{\[\[}}0], [1, 2, 3], [4]] : tensor<1x1x1x4x4xf32> into tensor<1x4x4xf32>
// CHECK: linalg.conv_1d_nwc_wcf {{.*}} ins(%{{.*}}, %[[T]] : tensor<1x4x4xf32>, tensor<1x4x4xf32>)
func.func @rank_reducing_tile(%in: tensor<1x4x4xf32>, %out: tensor<1x4x8xf32>) -> tensor<1x4x8xf32> {
  %w = arith.constant dense<[[[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
                               [8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0],
                               [16.0, 17.0, 18.0, 19.0, 20.0, 21.0, 22.0, 23.0],
                               [24.0, 25.0, 26.0, 27.0, 28.0, 29.0, 30.0, 31.0]]]]> : tensor<1x1x4x8xf32>
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %r = scf.for %f = %c0 to %c8 step %c4 iter_args(%acc = %out) -> (tensor<1x4x8xf32>) {
    %tile = tensor.extract_slice %w[0, 0, 0, %f] [1, 1, 4, 4] [1, 1, 1, 1] : tensor<1x1x4x8xf32> to tensor<1x1x4x4xf32>
    %w1 = tensor.extract_slice %tile[0, 0, 0, 0] [1, 1, 4, 4] [1, 1, 1, 1] : tensor<1x1x4x4xf32> to tensor<1x4x4xf32>
    %o = tensor.extract_slice %acc[0, 0, %f] [1, 4, 4] [1, 1, 1] : tensor<1x4x8xf32> to tensor<1x4x4xf32>
    %c = linalg.conv_1d_nwc_wcf {dilations = dense<1> : tensor<1xi64>, strides = dense<1> : tensor<1xi64>} ins(%in, %w1 : tensor<1x4x4xf32>, tensor<1x4x4xf32>) outs(%o : tensor<1x4x4xf32>) -> tensor<1x4x4xf32>
    %n = tensor.insert_slice %c into %acc[0, 0, %f] [1, 4, 4] [1, 1, 1] : tensor<1x4x4xf32> into tensor<1x4x8xf32>
    scf.yield %n : tensor<1x4x8xf32>
  }
  return %r : tensor<1x4x8xf32>
}

// -----

// A tile read that is itself rank-reducing (4x4 of a 1x1 filter) keeps its type.
// CHECK-LABEL: func.func @rank_reducing_read
// CHECK: arith.constant dense<{{.*}}> : tensor<1x1x2x4x4xf32>
// CHECK: %[[T:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1, 2, 3], [4]] : tensor<1x1x1x4x4xf32> into tensor<4x4xf32>
// CHECK: tensor.insert_slice %[[T]]
func.func @rank_reducing_read(%out: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %w = arith.constant dense<[[[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0],
                               [8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0],
                               [16.0, 17.0, 18.0, 19.0, 20.0, 21.0, 22.0, 23.0],
                               [24.0, 25.0, 26.0, 27.0, 28.0, 29.0, 30.0, 31.0]]]]> : tensor<1x1x4x8xf32>
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %r = scf.for %f = %c0 to %c8 step %c4 iter_args(%acc = %out) -> (tensor<4x8xf32>) {
    %t = tensor.extract_slice %w[0, 0, 0, %f] [1, 1, 4, 4] [1, 1, 1, 1] : tensor<1x1x4x8xf32> to tensor<4x4xf32>
    %n = tensor.insert_slice %t into %acc[0, %f] [4, 4] [1, 1] : tensor<4x4xf32> into tensor<4x8xf32>
    scf.yield %n : tensor<4x8xf32>
  }
  return %r : tensor<4x8xf32>
}

// -----

// A grouped convolution's G x KH x KW x C x F filter (2 groups, 1x1, 2 -> 4
// channels, W[g, 0, 0, c, f] = 8g + 4c + f) read in tiles of one group, 2
// channels and 2 output channels, rank-reduced as the 1-D convolution reads
// them: packed per group as P[g, 0, 0, f/2, c, f%2].
// CHECK-LABEL: func.func @grouped_tiles
// CHECK: %[[P:.*]] = arith.constant dense<{{\[\[\[\[\[}}[0.000000e+00, 1.000000e+00], [4.000000e+00, 5.000000e+00]], {{\[\[}}2.000000e+00, 3.000000e+00], [6.000000e+00, 7.000000e+00]]]]], {{.*}} : tensor<2x1x1x2x2x2xf32>
// CHECK-NOT: tensor<2x1x1x2x4xf32>
// CHECK: scf.for %[[G:[a-z0-9_]+]] =
// CHECK: scf.for %[[F:[a-z0-9_]+]] =
// CHECK: %[[B:.*]] = arith.divui %[[F]], %{{.*}} : index
// CHECK: %[[S:.*]] = tensor.extract_slice %[[P]][%[[G]], 0, 0, %[[B]], 0, 0] [1, 1, 1, 1, 2, 2] [1, 1, 1, 1, 1, 1] : tensor<2x1x1x2x2x2xf32> to tensor<1x1x1x1x2x2xf32>
// CHECK: %[[T:.*]] = tensor.collapse_shape %[[S]] {{\[\[}}0], [1, 2, 3, 4], [5]] : tensor<1x1x1x1x2x2xf32> into tensor<1x2x2xf32>
// CHECK: call @use(%[[T]])
func.func private @use(tensor<1x2x2xf32>)
func.func @grouped_tiles() {
  %w = arith.constant dense<[[[[[0.0, 1.0, 2.0, 3.0], [4.0, 5.0, 6.0, 7.0]]]],
                             [[[[8.0, 9.0, 10.0, 11.0], [12.0, 13.0, 14.0, 15.0]]]]]> : tensor<2x1x1x2x4xf32>
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  scf.for %g = %c0 to %c2 step %c1 {
    scf.for %f = %c0 to %c4 step %c2 {
      %t = tensor.extract_slice %w[%g, 0, 0, 0, %f] [1, 1, 1, 2, 2] [1, 1, 1, 1, 1] : tensor<2x1x1x2x4xf32> to tensor<1x2x2xf32>
      func.call @use(%t) : (tensor<1x2x2xf32>) -> ()
    }
  }
  return
}
