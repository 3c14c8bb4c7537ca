// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-pack-contractions{vector-width=16 precision=bf16})' | FileCheck %s
// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-pack-contractions{vector-width=16})' | FileCheck %s --check-prefix=F32
// RUN: not kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-pack-contractions{vector-width=8 precision=bf16})' 2>&1 | FileCheck %s --check-prefix=ERR
// RUN: not kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-pack-contractions{vector-width=16 precision=fp8})' 2>&1 | FileCheck %s --check-prefix=ERR2

// bf16: k is split into pairs (loops m1, n1, k2, m0, n0, kp); A is converted to bf16 once
// (odd K = 3 padded to 4 with zeros); the constant B is rounded to bf16 (1.00390625 is a
// tie between 1.0 and 1.0078125: to even, 1.0) and packed [n1][K/2][nr][2], the pairs
// (row 0, row 1) of each column side by side; the zero pair pads K.
// CHECK: #[[$MAPA:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d3, d2, d5)>
// CHECK: #[[$MAPB:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d1, d2, d4, d5)>
// CHECK: #[[$MAPC:.*]] = affine_map<(d0, d1, d2, d3, d4, d5) -> (d0, d3, d1, d4)>
// CHECK-LABEL: func.func @constant_rhs_odd_k
// CHECK: %[[PAD:.*]] = tensor.pad %{{.*}} low[0, 0] high[0, 1]
// CHECK: %[[ABF:.*]] = linalg.generic {{.*}} ins(%[[PAD]] : tensor<4x4xf32>) outs(%{{.*}} : tensor<4x4xbf16>)
// CHECK: arith.truncf %{{.*}} : f32 to bf16
// CHECK: %[[A4:.*]] = tensor.expand_shape %{{.*}} output_shape [1, 4, 2, 2] : tensor<4x2x2xbf16> into tensor<1x4x2x2xbf16>
// CHECK: %[[PANELS:.*]] = arith.constant dense<{{\[\[\[\[}}1.000000e+00, 1.700000e+01], [2.000000e+00, 2.000000e+00], {{.*}}, [1.600000e+01, 1.000000e+00]], {{\[\[}}3.300000e+01, 0.000000e+00], {{.*}}, [1.600000e+01, 0.000000e+00]]]]> : tensor<1x2x16x2xbf16>
// CHECK: linalg.generic {indexing_maps = [#[[$MAPA]], #[[$MAPB]], #[[$MAPC]]], iterator_types = ["parallel", "parallel", "reduction", "parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%[[A4]], %[[PANELS]] : tensor<1x4x2x2xbf16>, tensor<1x2x16x2xbf16>) outs(%{{.*}} : tensor<1x4x1x16xf32>)
// CHECK-SAME: kiln.blocked = array<i64: 4, 16, 2>
// CHECK-NEXT: ^bb0(%[[X:.*]]: bf16, %[[Y:.*]]: bf16, %[[ACC:.*]]: f32):
// CHECK-NEXT: %[[XF:.*]] = arith.extf %[[X]] : bf16 to f32
// CHECK-NEXT: %[[YF:.*]] = arith.extf %[[Y]] : bf16 to f32
// CHECK-NEXT: %[[P:.*]] = arith.mulf %[[XF]], %[[YF]]
// CHECK-NEXT: %[[S:.*]] = arith.addf %[[ACC]], %[[P]]
// The same contraction in f32 is unchanged by the option: f32 panels, five loops.
// F32-LABEL: func.func @constant_rhs_odd_k
// F32-NOT: bf16
// F32: kiln.blocked = array<i64: 4, 16>
// ERR: kiln-pack-contractions: precision=bf16 needs vector-width=16
// ERR2: kiln-pack-contractions: precision must be one of f32, bf16, got 'fp8'
func.func @constant_rhs_odd_k(%a: tensor<4x3xf32>, %c: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %b = arith.constant dense<[[1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0],
                             [17.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 1.00390625],
                             [33.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 9.0, 10.0, 11.0, 12.0, 13.0, 14.0, 15.0, 16.0]]> : tensor<3x16xf32>
  %r = linalg.matmul ins(%a, %b : tensor<4x3xf32>, tensor<3x16xf32>) outs(%c : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// -----

// A runtime B is converted and packed into the same panels by one generic at run time:
// B [K, N] split into [K/2, 2, N/nr, nr], read transposed into [N/nr, K/2, nr, 2].
// CHECK: #[[$PACKIN:.*]] = affine_map<(d0, d1, d2, d3) -> (d1, d3, d0, d2)>
// CHECK-LABEL: func.func @runtime_rhs
// CHECK: %[[BS:.*]] = tensor.expand_shape %{{.*}} output_shape [3, 2, 1, 32] : tensor<6x1x32xf32> into tensor<3x2x1x32xf32>
// CHECK: %[[BP:.*]] = linalg.generic {indexing_maps = [#[[$PACKIN]], #{{.*}}]{{.*}} ins(%[[BS]] : tensor<3x2x1x32xf32>) outs(%{{.*}} : tensor<1x3x32x2xbf16>)
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}}, %[[BP]] : tensor<2x4x3x2xbf16>, tensor<1x3x32x2xbf16>)
// CHECK-SAME: kiln.blocked = array<i64: 4, 32, 2>
func.func @runtime_rhs(%a: tensor<8x6xf32>, %b: tensor<6x32xf32>, %c: tensor<8x32xf32>) -> tensor<8x32xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<8x6xf32>, tensor<6x32xf32>) outs(%c : tensor<8x32xf32>) -> tensor<8x32xf32>
  return %r : tensor<8x32xf32>
}
