// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-pack-contractions{vector-width=8})' | FileCheck %s
// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-pack-contractions{vector-width=4})' | FileCheck %s --check-prefix=VW4
// RUN: not kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-pack-contractions{vector-width=3})' 2>&1 | FileCheck %s --check-prefix=ERR

// A runtime B whose n dimension is innermost is read in place through a free
// reshape; loops are (m1, n1, k, m0, n0) with a 4 x 16 register block.
// CHECK: #[[$MAPA:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d2)>
// CHECK: #[[$MAPB:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d2, d1, d4)>
// CHECK: #[[$MAPC:.*]] = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d1, d4)>
// CHECK-LABEL: func.func @matmul_runtime_rhs
// CHECK-SAME: (%[[A:.*]]: tensor<8x16xf32>, %[[B:.*]]: tensor<16x16xf32>, %[[C:.*]]: tensor<8x16xf32>)
// CHECK-NOT: linalg.matmul
// CHECK-DAG: %[[A4:.*]] = tensor.expand_shape %[[A]] {{\[\[}}0, 1], [2]] output_shape [2, 4, 16]
// CHECK-DAG: %[[BP:.*]] = tensor.expand_shape %[[B]] {{\[}}[0], [1, 2]] output_shape [16, 1, 16]
// CHECK: %[[BLOCKED:.*]] = linalg.generic {indexing_maps = [#[[$MAPA]], #[[$MAPB]], #[[$MAPC]]], iterator_types = ["parallel", "parallel", "reduction", "parallel", "parallel"]}
// CHECK-SAME: ins(%[[A4]], %[[BP]] : tensor<2x4x16xf32>, tensor<16x1x16xf32>) outs(%{{.*}} : tensor<2x4x1x16xf32>)
// CHECK-SAME: kiln.blocked = array<i64: 4, 16>
// CHECK-NEXT: ^bb0(%[[X:.*]]: f32, %[[Y:.*]]: f32, %[[ACC:.*]]: f32):
// CHECK-NEXT: %[[P:.*]] = arith.mulf %[[X]], %[[Y]]
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[ACC]], %[[P]]
// CHECK-NEXT: linalg.yield %[[S]]
// CHECK: %[[R:.*]] = tensor.collapse_shape %[[BLOCKED]] {{\[\[}}0, 1], [2, 3]] : tensor<2x4x1x16xf32> into tensor<8x16xf32>
// CHECK: return %[[R]] : tensor<8x16xf32>
// With 4 lanes the block is 4 x 8 (two vectors wide).
// VW4-LABEL: func.func @matmul_runtime_rhs
// VW4: kiln.blocked = array<i64: 4, 8>
func.func @matmul_runtime_rhs(%a: tensor<8x16xf32>, %b: tensor<16x16xf32>, %c: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<8x16xf32>, tensor<16x16xf32>) outs(%c : tensor<8x16xf32>) -> tensor<8x16xf32>
  return %r : tensor<8x16xf32>
}

// -----

// A constant B is packed at compile time into panels [N/nr, K, nr]; N = 12 is
// padded to 16 (the last panel's columns 12..15 are zeros), C is padded the
// same way and the result sliced back to 8 x 12.
// CHECK-LABEL: func.func @matmul_constant_rhs_padded
// CHECK-SAME: (%[[A:.*]]: tensor<8x4xf32>, %[[C:.*]]: tensor<8x12xf32>)
// CHECK: %[[PANELS:.*]] = arith.constant dense<{{\[\[\[}}0.000000e+00, 1.000000e+00, 2.000000e+00, 3.000000e+00, 4.000000e+00, 5.000000e+00, 6.000000e+00, 7.000000e+00], [1.200000e+01, {{.*}}]], {{\[\[}}8.000000e+00, 9.000000e+00, 1.000000e+01, 1.100000e+01, 0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00], {{.*}}, [4.400000e+01, 4.500000e+01, 4.600000e+01, 4.700000e+01, 0.000000e+00, 0.000000e+00, 0.000000e+00, 0.000000e+00]]]> : tensor<2x4x8xf32>
// CHECK: %[[PADDED:.*]] = tensor.pad %[[C]] low[0, 0] high[0, 4]
// CHECK: } : tensor<8x12xf32> to tensor<8x16xf32>
// CHECK: %[[BLOCKED:.*]] = linalg.generic
// CHECK-SAME: ins(%{{.*}}, %[[PANELS]] : tensor<1x8x4xf32>, tensor<2x4x8xf32>) outs(%{{.*}} : tensor<1x8x2x8xf32>)
// CHECK-SAME: kiln.blocked = array<i64: 8, 8>
// CHECK: %[[FULL:.*]] = tensor.collapse_shape %[[BLOCKED]] {{.*}} into tensor<8x16xf32>
// CHECK: %[[R:.*]] = tensor.extract_slice %[[FULL]][0, 0] [8, 12] [1, 1] : tensor<8x16xf32> to tensor<8x12xf32>
// CHECK: return %[[R]]
func.func @matmul_constant_rhs_padded(%a: tensor<8x4xf32>, %c: tensor<8x12xf32>) -> tensor<8x12xf32> {
  %b = arith.constant dense<[[0.0, 1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0],
                             [12.0, 13.0, 14.0, 15.0, 16.0, 17.0, 18.0, 19.0, 20.0, 21.0, 22.0, 23.0],
                             [24.0, 25.0, 26.0, 27.0, 28.0, 29.0, 30.0, 31.0, 32.0, 33.0, 34.0, 35.0],
                             [36.0, 37.0, 38.0, 39.0, 40.0, 41.0, 42.0, 43.0, 44.0, 45.0, 46.0, 47.0]]> : tensor<4x12xf32>
  %r = linalg.matmul ins(%a, %b : tensor<8x4xf32>, tensor<4x12xf32>) outs(%c : tensor<8x12xf32>) -> tensor<8x12xf32>
  return %r : tensor<8x12xf32>
}

// -----

// M = 7: no block of 3 or more rows divides it, so A and C are padded to 8 rows
// (two 4-row blocks) and the result sliced back: one-row blocks would load a B
// vector per FMA.
// CHECK-LABEL: func.func @matmul_rows_padded
// CHECK-SAME: (%[[A:.*]]: tensor<7x16xf32>, %[[B:.*]]: tensor<16x16xf32>, %[[C:.*]]: tensor<7x16xf32>)
// CHECK: %[[PA:.*]] = tensor.pad %[[A]] low[0, 0] high[1, 0]
// CHECK: } : tensor<7x16xf32> to tensor<8x16xf32>
// CHECK: %[[PC:.*]] = tensor.pad %[[C]] low[0, 0] high[1, 0]
// CHECK: } : tensor<7x16xf32> to tensor<8x16xf32>
// CHECK: tensor.expand_shape %[[PA]] {{\[\[}}0, 1], [2]] output_shape [2, 4, 16]
// CHECK: %[[BLOCKED:.*]] = linalg.generic
// CHECK-SAME: outs(%{{.*}} : tensor<2x4x1x16xf32>)
// CHECK-SAME: kiln.blocked = array<i64: 4, 16>
// CHECK: %[[FULL:.*]] = tensor.collapse_shape %[[BLOCKED]] {{.*}} into tensor<8x16xf32>
// CHECK: %[[R:.*]] = tensor.extract_slice %[[FULL]][0, 0] [7, 16] [1, 1] : tensor<8x16xf32> to tensor<7x16xf32>
// CHECK: return %[[R]]
func.func @matmul_rows_padded(%a: tensor<7x16xf32>, %b: tensor<16x16xf32>, %c: tensor<7x16xf32>) -> tensor<7x16xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<7x16xf32>, tensor<16x16xf32>) outs(%c : tensor<7x16xf32>) -> tensor<7x16xf32>
  return %r : tensor<7x16xf32>
}

// -----

// M = 9: three-row blocks divide it; nothing is padded.
// CHECK-LABEL: func.func @matmul_rows_not_padded
// CHECK-NOT: tensor.pad
// CHECK: kiln.blocked = array<i64: 3, 16>
// CHECK-NOT: tensor.extract_slice
func.func @matmul_rows_not_padded(%a: tensor<9x16xf32>, %b: tensor<16x16xf32>, %c: tensor<9x16xf32>) -> tensor<9x16xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<9x16xf32>, tensor<16x16xf32>) outs(%c : tensor<9x16xf32>) -> tensor<9x16xf32>
  return %r : tensor<9x16xf32>
}

// -----

// batch_matmul: the batch loop comes first, (b, m1, n1, k, m0, n0).
// CHECK-LABEL: func.func @batch_matmul
// CHECK-NOT: linalg.batch_matmul
// CHECK: %[[BLOCKED:.*]] = linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel", "parallel", "reduction", "parallel", "parallel"]
// CHECK-SAME: ins(%{{.*}}, %{{.*}} : tensor<2x1x8x16xf32>, tensor<2x16x1x8xf32>) outs(%{{.*}} : tensor<2x1x8x1x8xf32>)
// CHECK-SAME: kiln.blocked = array<i64: 8, 8>
// CHECK: tensor.collapse_shape %[[BLOCKED]] {{.*}} into tensor<2x8x8xf32>
func.func @batch_matmul(%a: tensor<2x8x16xf32>, %b: tensor<2x16x8xf32>, %c: tensor<2x8x8xf32>) -> tensor<2x8x8xf32> {
  %r = linalg.batch_matmul ins(%a, %b : tensor<2x8x16xf32>, tensor<2x16x8xf32>) outs(%c : tensor<2x8x8xf32>) -> tensor<2x8x8xf32>
  return %r : tensor<2x8x8xf32>
}

// -----

// Must not change: integer matmuls and dynamically shaped ones are left alone.
// CHECK-LABEL: func.func @integer_matmul
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<8x16xi32>, tensor<16x8xi32>)
// CHECK-NOT: kiln.blocked
// CHECK-LABEL: func.func @dynamic_matmul
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<?x16xf32>, tensor<16x8xf32>)
// CHECK-NOT: kiln.blocked
func.func @integer_matmul(%a: tensor<8x16xi32>, %b: tensor<16x8xi32>, %c: tensor<8x8xi32>) -> tensor<8x8xi32> {
  %r = linalg.matmul ins(%a, %b : tensor<8x16xi32>, tensor<16x8xi32>) outs(%c : tensor<8x8xi32>) -> tensor<8x8xi32>
  return %r : tensor<8x8xi32>
}
func.func @dynamic_matmul(%a: tensor<?x16xf32>, %b: tensor<16x8xf32>, %c: tensor<?x8xf32>) -> tensor<?x8xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<?x16xf32>, tensor<16x8xf32>) outs(%c : tensor<?x8xf32>) -> tensor<?x8xf32>
  return %r : tensor<?x8xf32>
}

// -----

// A runtime B with n not innermost (A @ B^T, B is [N, K]) is transposed into panels [N/nr, K, nr] = [1, 16, 8] at run time.
// CHECK-LABEL: func.func @matmul_transposed_rhs
// CHECK: %[[PANELS:.*]] = linalg.transpose ins(%{{.*}} : tensor<1x8x16xf32>) outs(%{{.*}} : tensor<1x16x8xf32>) permutation = [0, 2, 1]
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}}, %[[PANELS]] : tensor<1x8x16xf32>, tensor<1x16x8xf32>)
// CHECK-SAME: kiln.blocked = array<i64: 8, 8>
func.func @matmul_transposed_rhs(%a: tensor<8x16xf32>, %b: tensor<8x16xf32>, %c: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %r = linalg.generic {indexing_maps = [affine_map<(m, n, k) -> (m, k)>, affine_map<(m, n, k) -> (n, k)>, affine_map<(m, n, k) -> (m, n)>], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<8x16xf32>, tensor<8x16xf32>) outs(%c : tensor<8x8xf32>) {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %t = arith.mulf %p, %q : f32
    %s = arith.addf %o, %t : f32
    linalg.yield %s : f32
  } -> tensor<8x8xf32>
  return %r : tensor<8x8xf32>
}

// -----

// A large runtime B (K * N >= 64K elements, >= 8 row blocks) is packed at run time.
// CHECK-LABEL: func.func @matmul_large_runtime_rhs
// CHECK: %[[PANELS:.*]] = linalg.transpose ins(%{{.*}} : tensor<256x16x16xf32>) outs(%{{.*}} : tensor<16x256x16xf32>) permutation = [1, 0, 2]
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}}, %[[PANELS]] : tensor<16x4x256xf32>, tensor<16x256x16xf32>)
// CHECK-SAME: kiln.blocked = array<i64: 4, 16>
func.func @matmul_large_runtime_rhs(%a: tensor<64x256xf32>, %b: tensor<256x256xf32>, %c: tensor<64x256xf32>) -> tensor<64x256xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<64x256xf32>, tensor<256x256xf32>) outs(%c : tensor<64x256xf32>) -> tensor<64x256xf32>
  return %r : tensor<64x256xf32>
}

// -----

// K = 13 (prime: no unrolled k step divides it) is padded with zeros to 16, in A
// and in B both; the k loop of the block runs over 16.
// CHECK-LABEL: func.func @matmul_prime_k_padded
// CHECK-SAME: (%[[A:.*]]: tensor<8x13xf32>, %[[B:.*]]: tensor<13x16xf32>, %[[C:.*]]: tensor<8x16xf32>)
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.000000e+00 : f32
// CHECK-DAG: %[[AP:.*]] = tensor.pad %[[A]] low[0, 0] high[0, 3]
// CHECK-DAG: tensor.yield %[[ZERO]]
// CHECK-DAG: %[[BP:.*]] = tensor.pad %[[B]] low[0, 0] high[3, 0]
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}}, %{{.*}} : tensor<2x4x16xf32>, tensor<16x1x16xf32>)
// CHECK-SAME: kiln.blocked = array<i64: 4, 16>
func.func @matmul_prime_k_padded(%a: tensor<8x13xf32>, %b: tensor<13x16xf32>, %c: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<8x13xf32>, tensor<13x16xf32>) outs(%c : tensor<8x16xf32>) -> tensor<8x16xf32>
  return %r : tensor<8x16xf32>
}

// -----

// A constant B with a prime K is packed with K zero rows added: panels [1, 16, 8].
// CHECK-LABEL: func.func @matmul_prime_k_constant_rhs
// CHECK-DAG: %[[PANELS:.*]] = arith.constant dense<{{.*}}> : tensor<1x16x8xf32>
// CHECK-DAG: tensor.pad %{{.*}} low[0, 0] high[0, 5]
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}}, %[[PANELS]] : tensor<1x8x16xf32>, tensor<1x16x8xf32>)
// A K of 7 is its own unrolled step: nothing padded.
// CHECK-LABEL: func.func @matmul_small_prime_k
// CHECK-NOT: tensor.pad
// CHECK: kiln.blocked
func.func @matmul_prime_k_constant_rhs(%a: tensor<8x11xf32>, %c: tensor<8x8xf32>) -> tensor<8x8xf32> {
  %b = arith.constant dense<1.0> : tensor<11x8xf32>
  %r = linalg.matmul ins(%a, %b : tensor<8x11xf32>, tensor<11x8xf32>) outs(%c : tensor<8x8xf32>) -> tensor<8x8xf32>
  return %r : tensor<8x8xf32>
}
func.func @matmul_small_prime_k(%a: tensor<8x7xf32>, %b: tensor<7x16xf32>, %c: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<8x7xf32>, tensor<7x16xf32>) outs(%c : tensor<8x16xf32>) -> tensor<8x16xf32>
  return %r : tensor<8x16xf32>
}

// ERR: error: kiln-pack-contractions: vector-width must be 4, 8 or 16, got 3
