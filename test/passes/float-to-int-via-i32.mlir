// RUN: kiln-opt %s --pass-pipeline='builtin.module(kiln-float-to-int-via-i32)' | FileCheck %s

// float -> uint8 (torch-mlir's fptosi to i8): through i32, the low byte kept.
// CHECK-LABEL: func.func @to_u8
// CHECK-SAME: (%[[X:.*]]: f32)
// CHECK: %[[W:.*]] = arith.fptosi %[[X]] : f32 to i32
// CHECK: %[[R:.*]] = arith.trunci %[[W]] : i32 to i8
// CHECK: return %[[R]]
func.func @to_u8(%x: f32) -> i8 {
  %r = arith.fptosi %x : f32 to i8
  return %r : i8
}

// Vectors, fptoui and i16 likewise (fptoui through a signed i32: -1.0 -> 0xFFFF).
// CHECK-LABEL: func.func @vector_u16
// CHECK-SAME: (%[[X:.*]]: vector<8xbf16>)
// CHECK: %[[W:.*]] = arith.fptosi %[[X]] : vector<8xbf16> to vector<8xi32>
// CHECK: %[[R:.*]] = arith.trunci %[[W]] : vector<8xi32> to vector<8xi16>
// CHECK: return %[[R]]
func.func @vector_u16(%x: vector<8xbf16>) -> vector<8xi16> {
  %r = arith.fptoui %x : vector<8xbf16> to vector<8xi16>
  return %r : vector<8xi16>
}

// Not changed: conversions to i32, i64 and i1.
// CHECK-LABEL: func.func @wide_enough
// CHECK: arith.fptosi %{{.*}} : f32 to i32
// CHECK: arith.fptosi %{{.*}} : f32 to i64
// CHECK: arith.fptoui %{{.*}} : f32 to i1
// CHECK-NOT: arith.trunci
func.func @wide_enough(%x: f32) -> (i32, i64, i1) {
  %a = arith.fptosi %x : f32 to i32
  %b = arith.fptosi %x : f32 to i64
  %c = arith.fptoui %x : f32 to i1
  return %a, %b, %c : i32, i64, i1
}
