// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-bf16-conv-blocks)' | FileCheck %s

// A stride-2 convolution tiled to 2-pixel x 16-channel blocks of 4 input channels
// (a bf16 input, kiln-bf16-convs), the filter W[0, 0, c, f] = 32 c + f. The filter
// is rounded to bf16 and packed in channel pairs, P[kh][kw][F/16][C/2][16][2]
// (P[0, 0, b, c2, j, t] = W[0, 0, 2 c2 + t, 16 b + j]): each k2 step of a tile
// reads one row of 16 pairs (bf16 0, 32, 1, 33, 2, 34: 0x0000 0x4200 0x3F80 0x4204 ...,
// printed little-endian). Each tile becomes a block contraction of A (every
// second pixel of the input tile, channels in pairs) and P's 2 x 16 x 2 tile,
// marked for the bf16 dot kernel.
// CHECK-LABEL: func.func @strided
// CHECK: %[[P:.*]] = arith.constant dense<"0x00000042803F044200400842{{.*}}"> : tensor<1x1x2x2x16x2xbf16>
// CHECK-NOT: tensor<1x1x4x32xf32>
// CHECK: scf.for %[[F:[a-z0-9_]+]] =
// CHECK: %[[X:.*]] = tensor.extract_slice %{{.*}} : tensor<1x1x5x4xbf16> to tensor<1x3x4xbf16>
// CHECK: %[[B:.*]] = arith.divui %[[F]], %{{.*}} : index
// CHECK: %[[W:.*]] = tensor.extract_slice %[[P]][0, 0, %[[B]], 0, 0, 0] [1, 1, 1, 2, 16, 2] [1, 1, 1, 1, 1, 1] : tensor<1x1x2x2x16x2xbf16> to tensor<2x16x2xbf16>
// CHECK: %[[ROWS:.*]] = tensor.extract_slice %[[X]][0, 0, 0] [1, 2, 4] [1, 2, 1] : tensor<1x3x4xbf16> to tensor<2x4xbf16>
// CHECK: %[[A:.*]] = tensor.expand_shape %[[ROWS]] {{\[\[}}0], [1, 2]] output_shape [2, 2, 2] : tensor<2x4xbf16> into tensor<2x2x2xbf16>
// CHECK: %[[C:.*]] = tensor.collapse_shape %{{.*}} {{\[\[}}0, 1], [2]] : tensor<1x2x16xf32> into tensor<2x16xf32>
// CHECK: %[[R:.*]] = linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction", "reduction"]} ins(%[[A]], %[[W]] : tensor<2x2x2xbf16>, tensor<2x16x2xbf16>) outs(%[[C]] : tensor<2x16xf32>) attrs = {kiln.blocked = array<i64: 2, 16, 2>, kiln.vectorize}
// CHECK: arith.extf %{{.*}} : bf16 to f32
// CHECK: tensor.expand_shape %[[R]] {{\[\[}}0, 1], [2]] output_shape [1, 2, 16] : tensor<2x16xf32> into tensor<1x2x16xf32>
// CHECK-NOT: linalg.conv_1d_nwc_wcf
func.func @strided(%x: tensor<1x1x5x4xbf16>, %out: tensor<1x2x32xf32>) -> tensor<1x2x32xf32> {
  %w = arith.constant dense<[[[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0, 19.0, 20.0, 21.0, 22.0, 23.0, 24.0, 25.0, 26.0, 27.0, 28.0, 29.0, 30.0, 31.0], [32.0, 33.0, 34.0, 35.0, 36.0, 37.0, 38.0, 39.0, 40.0, 41.0, 42.0, 43.0, 44.0, 45.0, 46.0, 47.0, 48.0, 49.0, 50.0, 51.0, 52.0, 53.0, 54.0, 55.0, 56.0, 57.0, 58.0, 59.0, 60.0, 61.0, 62.0, 63.0], [64.0, 65.0, 66.0, 67.0, 68.0, 69.0, 70.0, 71.0, 72.0, 73.0, 74.0, 75.0, 76.0, 77.0, 78.0, 79.0, 80.0, 81.0, 82.0, 83.0, 84.0, 85.0, 86.0, 87.0, 88.0, 89.0, 90.0, 91.0, 92.0, 93.0, 94.0, 95.0], [96.0, 97.0, 98.0, 99.0, 100.0, 101.0, 102.0, 103.0, 104.0, 105.0, 106.0, 107.0, 108.0, 109.0, 110.0, 111.0, 112.0, 113.0, 114.0, 115.0, 116.0, 117.0, 118.0, 119.0, 120.0, 121.0, 122.0, 123.0, 124.0, 125.0, 126.0, 127.0]]]]> : tensor<1x1x4x32xf32>
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  %r = scf.for %f = %c0 to %c32 step %c16 iter_args(%acc = %out) -> (tensor<1x2x32xf32>) {
    %xt = tensor.extract_slice %x[0, 0, 0, 0] [1, 1, 3, 4] [1, 1, 1, 1] : tensor<1x1x5x4xbf16> to tensor<1x3x4xbf16>
    %wt = tensor.extract_slice %w[0, 0, 0, %f] [1, 1, 4, 16] [1, 1, 1, 1] : tensor<1x1x4x32xf32> to tensor<1x1x4x16xf32>
    %wr = tensor.extract_slice %wt[0, 0, 0, 0] [1, 1, 4, 16] [1, 1, 1, 1] : tensor<1x1x4x16xf32> to tensor<1x4x16xf32>
    %ot = tensor.extract_slice %acc[0, 0, %f] [1, 2, 16] [1, 1, 1] : tensor<1x2x32xf32> to tensor<1x2x16xf32>
    %c = linalg.conv_1d_nwc_wcf {dilations = dense<1> : tensor<1xi64>, strides = dense<2> : tensor<1xi64>} ins(%xt, %wr : tensor<1x3x4xbf16>, tensor<1x4x16xf32>) outs(%ot : tensor<1x2x16xf32>) -> tensor<1x2x16xf32>
    %n = tensor.insert_slice %c into %acc[0, 0, %f] [1, 2, 16] [1, 1, 1] : tensor<1x2x16xf32> into tensor<1x2x32xf32>
    scf.yield %n : tensor<1x2x32xf32>
  }
  return %r : tensor<1x2x32xf32>
}

// -----

// What stays: an f32 tile (kiln-pack-conv-filters' business), and a bf16 tile whose
// output-channel offset is not provably a multiple of its 16 channels.
// CHECK-LABEL: func.func @unchanged
// CHECK-NOT: kiln.blocked
// CHECK-COUNT-2: linalg.conv_1d_nwc_wcf
// CHECK-NOT: kiln.blocked
func.func @unchanged(%x: tensor<1x2x4xf32>, %xb: tensor<1x2x4xbf16>, %f: index, %out: tensor<1x2x16xf32>) -> (tensor<1x2x16xf32>, tensor<1x2x16xf32>) {
  %w = arith.constant dense<[[[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0, 19.0, 20.0, 21.0, 22.0, 23.0, 24.0, 25.0, 26.0, 27.0, 28.0, 29.0, 30.0, 31.0], [32.0, 33.0, 34.0, 35.0, 36.0, 37.0, 38.0, 39.0, 40.0, 41.0, 42.0, 43.0, 44.0, 45.0, 46.0, 47.0, 48.0, 49.0, 50.0, 51.0, 52.0, 53.0, 54.0, 55.0, 56.0, 57.0, 58.0, 59.0, 60.0, 61.0, 62.0, 63.0], [64.0, 65.0, 66.0, 67.0, 68.0, 69.0, 70.0, 71.0, 72.0, 73.0, 74.0, 75.0, 76.0, 77.0, 78.0, 79.0, 80.0, 81.0, 82.0, 83.0, 84.0, 85.0, 86.0, 87.0, 88.0, 89.0, 90.0, 91.0, 92.0, 93.0, 94.0, 95.0], [96.0, 97.0, 98.0, 99.0, 100.0, 101.0, 102.0, 103.0, 104.0, 105.0, 106.0, 107.0, 108.0, 109.0, 110.0, 111.0, 112.0, 113.0, 114.0, 115.0, 116.0, 117.0, 118.0, 119.0, 120.0, 121.0, 122.0, 123.0, 124.0, 125.0, 126.0, 127.0]]]]> : tensor<1x1x4x32xf32>
  %wt = tensor.extract_slice %w[0, 0, 0, 16] [1, 1, 4, 16] [1, 1, 1, 1] : tensor<1x1x4x32xf32> to tensor<1x4x16xf32>
  %a = linalg.conv_1d_nwc_wcf {dilations = dense<1> : tensor<1xi64>, strides = dense<1> : tensor<1xi64>} ins(%x, %wt : tensor<1x2x4xf32>, tensor<1x4x16xf32>) outs(%out : tensor<1x2x16xf32>) -> tensor<1x2x16xf32>
  %wu = tensor.extract_slice %w[0, 0, 0, %f] [1, 1, 4, 16] [1, 1, 1, 1] : tensor<1x1x4x32xf32> to tensor<1x4x16xf32>
  %b = linalg.conv_1d_nwc_wcf {dilations = dense<1> : tensor<1xi64>, strides = dense<1> : tensor<1xi64>} ins(%xb, %wu : tensor<1x2x4xbf16>, tensor<1x4x16xf32>) outs(%out : tensor<1x2x16xf32>) -> tensor<1x2x16xf32>
  return %a, %b : tensor<1x2x16xf32>, tensor<1x2x16xf32>
}
