// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-select-to-minmax)' | FileCheck %s
// RUN: not kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-select-to-minmax{nan=ignore})' 2>&1 | FileCheck %s --check-prefix=ERR

// relu / clamp as torch-mlir writes them (compare, then select one of the two
// compared values) become NaN-propagating max / min.
// CHECK-LABEL: func.func @compare_and_select
// CHECK-SAME: (%[[X:.*]]: f32, %[[LO:.*]]: f32, %[[HI:.*]]: f32)
// CHECK-NOT: arith.cmpf
// CHECK-NOT: arith.select
// CHECK: %[[A:.*]] = arith.maximumf %[[X]], %[[LO]] : f32
// CHECK: %[[B:.*]] = arith.minimumf %[[A]], %[[HI]] : f32
// CHECK: %[[C:.*]] = arith.maximumf %[[B]], %[[LO]] : f32
// CHECK: %[[D:.*]] = arith.minimumf %[[C]], %[[HI]] : f32
// CHECK: return %[[D]]
func.func @compare_and_select(%x: f32, %lo: f32, %hi: f32) -> f32 {
  // x > lo ? x : lo  ->  max(x, lo)
  %c0 = arith.cmpf ogt, %x, %lo : f32
  %a = arith.select %c0, %x, %lo : f32
  // a > hi ? hi : a  ->  min(a, hi)
  %c1 = arith.cmpf ugt, %a, %hi : f32
  %b = arith.select %c1, %hi, %a : f32
  // b < lo ? lo : b  ->  max(b, lo)
  %c2 = arith.cmpf ult, %b, %lo : f32
  %c = arith.select %c2, %lo, %b : f32
  // c <= hi ? c : hi  ->  min(c, hi)
  %c3 = arith.cmpf ole, %c, %hi : f32
  %d = arith.select %c3, %c, %hi : f32
  return %d : f32
}

// -----

// Must not change: an equality compare, a select of other values, a condition
// that is not a compare, and integer selects.
// CHECK-LABEL: func.func @not_min_or_max
// CHECK-COUNT-2: arith.cmpf
// CHECK-COUNT-3: arith.select
// CHECK: arith.cmpi
// CHECK: arith.select
// CHECK-NOT: arith.maximumf
// CHECK-NOT: arith.minimumf
// CHECK-NOT: arith.maxsi
func.func @not_min_or_max(%x: f32, %y: f32, %z: f32, %flag: i1, %i: i32, %j: i32) -> (f32, f32, f32, i32) {
  %eq = arith.cmpf oeq, %x, %y : f32
  %lt = arith.cmpf olt, %x, %y : f32
  %a = arith.select %eq, %x, %y : f32
  %b = arith.select %lt, %x, %z : f32
  %c = arith.select %flag, %x, %y : f32
  %gt = arith.cmpi sgt, %i, %j : i32
  %d = arith.select %gt, %i, %j : i32
  return %a, %b, %c, %d : f32, f32, f32, i32
}

// ERR: error: pass 'kiln-select-to-minmax' has no option 'nan'
