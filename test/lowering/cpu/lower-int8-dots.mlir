// RUN: kiln-opt %s --pass-pipeline='builtin.module(kiln-lower-int8-dots)' | FileCheck %s

// kiln.vpdpbusd becomes the AVX512-VNNI intrinsic call, operands in order (acc, u8, s8);
// other vector arithmetic is unchanged.
// CHECK-LABEL: func.func @dot
// CHECK-SAME: (%[[ACC:.*]]: vector<16xi32>, %[[A:.*]]: vector<64xi8>, %[[B:.*]]: vector<64xi8>)
// CHECK: %[[D:.*]] = llvm.call_intrinsic "llvm.x86.avx512.vpdpbusd.512"(%[[ACC]], %[[A]], %[[B]]) : (vector<16xi32>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
// CHECK: %[[S:.*]] = arith.addi %[[D]], %[[ACC]] : vector<16xi32>
// CHECK-NOT: kiln.vpdpbusd
// CHECK: return %[[S]]
func.func @dot(%acc: vector<16xi32>, %a: vector<64xi8>, %b: vector<64xi8>) -> vector<16xi32> {
  %d = "kiln.vpdpbusd"(%acc, %a, %b) : (vector<16xi32>, vector<64xi8>, vector<64xi8>) -> vector<16xi32>
  %s = arith.addi %d, %acc : vector<16xi32>
  return %s : vector<16xi32>
}
