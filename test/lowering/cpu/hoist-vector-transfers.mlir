// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-hoist-vector-transfers)' | FileCheck %s
// RUN: not kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-hoist-vector-transfers{loops=1})' 2>&1 | FileCheck %s --check-prefix=ERR

// The accumulator's read/write pair at loop-invariant indices leaves the k
// loop; the vector is carried through iter_args (registers).
// CHECK-LABEL: func.func @accumulator_in_argument
// CHECK-SAME: (%{{.*}}: memref<16x16xf32>, %[[C:.*]]: memref<4x16xf32>)
// CHECK: %[[INIT:.*]] = vector.transfer_read %[[C]][%{{.*}}, %{{.*}}], %{{.*}} {in_bounds = [true, true]} : memref<4x16xf32>, vector<4x16xf32>
// CHECK-NEXT: %[[FINAL:.*]] = scf.for %[[K:.*]] = %{{.*}} to %{{.*}} step %{{.*}} iter_args(%[[ACC:.*]] = %[[INIT]]) -> (vector<4x16xf32>) {
// CHECK-NEXT: %[[BV:.*]] = vector.transfer_read %{{.*}}[%[[K]], %{{.*}}]
// CHECK-NEXT: %[[SUM:.*]] = arith.addf %[[ACC]], %[[BV]] : vector<4x16xf32>
// CHECK-NEXT: scf.yield %[[SUM]] : vector<4x16xf32>
// CHECK-NEXT: {{^ *}}}
// CHECK-NEXT: vector.transfer_write %[[FINAL]], %[[C]][%{{.*}}, %{{.*}}] {in_bounds = [true, true]} : vector<4x16xf32>, memref<4x16xf32>
func.func @accumulator_in_argument(%b: memref<16x16xf32>, %c: memref<4x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c12 = arith.constant 12 : index
  %pad = arith.constant 0.0 : f32
  scf.for %k = %c0 to %c12 step %c1 {
    %acc = vector.transfer_read %c[%c0, %c0], %pad {in_bounds = [true, true]} : memref<4x16xf32>, vector<4x16xf32>
    %bv = vector.transfer_read %b[%k, %c0], %pad {in_bounds = [true, true]} : memref<16x16xf32>, vector<4x16xf32>
    %r = arith.addf %acc, %bv : vector<4x16xf32>
    vector.transfer_write %r, %c[%c0, %c0] {in_bounds = [true, true]} : vector<4x16xf32>, memref<4x16xf32>
  }
  return
}

// -----

// Same for a local buffer.
// CHECK-LABEL: func.func @accumulator_in_alloca
// CHECK: %[[BUF:.*]] = memref.alloca() : memref<4x16xf32>
// CHECK-NEXT: %[[INIT:.*]] = vector.transfer_read %[[BUF]]
// CHECK-NEXT: %[[FINAL:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[INIT]]) -> (vector<4x16xf32>)
// CHECK-NOT: vector.transfer_write
// CHECK: scf.yield
// CHECK-NEXT: {{^ *}}}
// CHECK-NEXT: vector.transfer_write %[[FINAL]], %[[BUF]]
// CHECK-NEXT: memref.copy %[[BUF]]
func.func @accumulator_in_alloca(%b: memref<16x16xf32>, %out: memref<4x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c12 = arith.constant 12 : index
  %pad = arith.constant 0.0 : f32
  %c = memref.alloca() : memref<4x16xf32>
  scf.for %k = %c0 to %c12 step %c1 {
    %acc = vector.transfer_read %c[%c0, %c0], %pad {in_bounds = [true, true]} : memref<4x16xf32>, vector<4x16xf32>
    %bv = vector.transfer_read %b[%k, %c0], %pad {in_bounds = [true, true]} : memref<16x16xf32>, vector<4x16xf32>
    %r = arith.addf %acc, %bv : vector<4x16xf32>
    vector.transfer_write %r, %c[%c0, %c0] {in_bounds = [true, true]} : vector<4x16xf32>, memref<4x16xf32>
  }
  memref.copy %c, %out : memref<4x16xf32> to memref<4x16xf32>
  return
}

// -----

// Must not change: the transfers' indices depend on the loop (a different
// block every iteration), so nothing is loop-invariant.
// CHECK-LABEL: func.func @loop_variant_indices
// CHECK: scf.for %[[I:.*]] = %{{.*}} to %{{.*}} step %{{.*}} {
// CHECK-NEXT: vector.transfer_read %{{.*}}[%[[I]], %{{.*}}]
// CHECK-NEXT: arith.addf
// CHECK-NEXT: vector.transfer_write %{{.*}}, %{{.*}}[%[[I]], %{{.*}}] {{.*}}
// CHECK-NEXT: {{^ *}}}
func.func @loop_variant_indices(%c: memref<16x16xf32>) {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c16 = arith.constant 16 : index
  %pad = arith.constant 0.0 : f32
  scf.for %i = %c0 to %c16 step %c4 {
    %v = vector.transfer_read %c[%i, %c0], %pad {in_bounds = [true, true]} : memref<16x16xf32>, vector<4x16xf32>
    %r = arith.addf %v, %v : vector<4x16xf32>
    vector.transfer_write %r, %c[%i, %c0] {in_bounds = [true, true]} : vector<4x16xf32>, memref<16x16xf32>
  }
  return
}

// ERR: error: pass 'kiln-hoist-vector-transfers' has no option 'loops'
