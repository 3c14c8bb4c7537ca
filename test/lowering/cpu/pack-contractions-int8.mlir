// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-pack-contractions{vector-width=16})' | FileCheck %s
// RUN: not kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-pack-contractions{vector-width=8})' 2>&1 | FileCheck %s --check-prefix=ERR

// A u8 x s8 -> i32 contraction (kiln-int8-contractions' form): k is split into quads
// (loops m1, n1, k4, m0, n0, kp), K = 6 padded to 8 with zeros; A is only padded and
// reshaped (it stays i8); the constant B is packed [n1][K/4][nr][4], each column's four
// k values side by side: column 0 reads rows 0..3 = (1, 17, 33, 49) = 0x01112131, column 1
// (2, 18, 34, 50); the second quad of column 0 is rows 4, 5 and the zero padding:
// (65, -1, 0, 0) = 0x41FF0000.
// CHECK-LABEL: func.func @int8
// CHECK: %[[PAD:.*]] = tensor.pad %{{.*}} low[0, 0] high[0, 2]
// CHECK: arith.constant 0 : i8
// CHECK: %[[A4:.*]] = tensor.expand_shape %{{.*}} output_shape [1, 4, 2, 4] : tensor<4x2x4xi8> into tensor<1x4x2x4xi8>
// CHECK: %[[PANELS:.*]] = arith.constant dense<"0x0111213102122232{{.*}}41FF000042FE0000{{.*}}"> : tensor<1x2x16x4xi8>
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction", "parallel", "parallel", "reduction"]}
// CHECK-SAME: ins(%[[A4]], %[[PANELS]] : tensor<1x4x2x4xi8>, tensor<1x2x16x4xi8>) outs(%{{.*}} : tensor<1x4x1x16xi32>)
// CHECK-SAME: kiln.blocked = array<i64: 4, 16, 4>
// CHECK-NEXT: ^bb0(%[[X:.*]]: i8, %[[Y:.*]]: i8, %[[ACC:.*]]: i32):
// CHECK-NEXT: %[[XI:.*]] = arith.extui %[[X]] : i8 to i32
// CHECK-NEXT: %[[YI:.*]] = arith.extsi %[[Y]] : i8 to i32
// CHECK-NEXT: %[[P:.*]] = arith.muli %[[XI]], %[[YI]]
// CHECK-NEXT: arith.addi %[[ACC]], %[[P]]
// ERR: int8 contractions need vector-width=16 (AVX512-VNNI)
#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b = affine_map<(d0, d1, d2) -> (d2, d1)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @int8(%a: tensor<4x6xi8>, %c: tensor<4x16xi32>) -> tensor<4x16xi32> {
  %b = arith.constant dense<[[1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16],
                             [17, 18, 19, 20, 21, 22, 23, 24, 25, 26, 27, 28, 29, 30, 31, 32],
                             [33, 34, 35, 36, 37, 38, 39, 40, 41, 42, 43, 44, 45, 46, 47, 48],
                             [49, 50, 51, 52, 53, 54, 55, 56, 57, 58, 59, 60, 61, 62, 63, 64],
                             [65, 66, 67, 68, 69, 70, 71, 72, 73, 74, 75, 76, 77, 78, 79, 80],
                             [-1, -2, -3, -4, -5, -6, -7, -8, -9, -10, -11, -12, -13, -14, -15, -16]]> : tensor<6x16xi8>
  %r = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : tensor<4x6xi8>, tensor<6x16xi8>) outs(%c : tensor<4x16xi32>) {
  ^bb0(%x: i8, %y: i8, %acc: i32):
    %0 = arith.extui %x : i8 to i32
    %1 = arith.extsi %y : i8 to i32
    %2 = arith.muli %0, %1 : i32
    %3 = arith.addi %acc, %2 : i32
    linalg.yield %3 : i32
  } -> tensor<4x16xi32>
  return %r : tensor<4x16xi32>
}

// -----

// A u8 x s8 contraction whose B is computed at run time (torch._int_mm of two
// activations): the vpdpbusd panels are packed from constants only, so it is left alone
// (and runs as a generic) rather than failing.
// CHECK-LABEL: func.func @int8_runtime_rhs
// CHECK-NOT: kiln.blocked
// CHECK: linalg.generic {{.*}} ins(%{{.*}}, %{{.*}} : tensor<4x6xi8>, tensor<6x16xi8>) outs(%{{.*}} : tensor<4x16xi32>)
// CHECK-NOT: kiln.blocked
#a = affine_map<(d0, d1, d2) -> (d0, d2)>
#b = affine_map<(d0, d1, d2) -> (d2, d1)>
#c = affine_map<(d0, d1, d2) -> (d0, d1)>
func.func @int8_runtime_rhs(%a: tensor<4x6xi8>, %b: tensor<6x16xi8>, %c: tensor<4x16xi32>) -> tensor<4x16xi32> {
  %r = linalg.generic {indexing_maps = [#a, #b, #c], iterator_types = ["parallel", "parallel", "reduction"]} ins(%a, %b : tensor<4x6xi8>, tensor<6x16xi8>) outs(%c : tensor<4x16xi32>) {
  ^bb0(%x: i8, %y: i8, %acc: i32):
    %0 = arith.extui %x : i8 to i32
    %1 = arith.extsi %y : i8 to i32
    %2 = arith.muli %0, %1 : i32
    %3 = arith.addi %acc, %2 : i32
    linalg.yield %3 : i32
  } -> tensor<4x16xi32>
  return %r : tensor<4x16xi32>
}
