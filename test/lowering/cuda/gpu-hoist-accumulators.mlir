// kiln-gpu-hoist-accumulators: the read/write pairs of a warp's C pieces (a view of C)
// leave the k loop and travel as iter_args; pairs are kept when anything else in the
// loop touches the same buffer or when the pieces may overlap.
// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-gpu-hoist-accumulators)' | FileCheck %s

// CHECK-LABEL: func.func @two_pieces
// CHECK: %[[TILE:.*]] = memref.subview
// CHECK-DAG: %[[R0:.*]] = vector.transfer_read %[[TILE]][%c0, %c0]
// CHECK-DAG: %[[R1:.*]] = vector.transfer_read %[[TILE]][%c0, %c8]
// CHECK: %[[LOOP:.*]]:2 = scf.for {{.*}} iter_args(%[[A0:.*]] = %[[R0]], %[[A1:.*]] = %[[R1]]) -> (vector<16x8xf32>, vector<16x8xf32>)
// CHECK-NOT: vector.transfer_read %[[TILE]]
// CHECK: vector.transfer_read %{{.*}}[%{{.*}}, %c0]
// CHECK: arith.addf %[[A0]]
// CHECK: arith.addf %[[A1]]
// CHECK: scf.yield
// CHECK-DAG: vector.transfer_write %[[LOOP]]#0, %[[TILE]][%c0, %c0]
// CHECK-DAG: vector.transfer_write %[[LOOP]]#1, %[[TILE]][%c0, %c8]
func.func @two_pieces(%b: memref<64x16xf32>, %out: memref<64x64xf32>, %row: index) {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %pad = arith.constant 0.0 : f32
  %tile = memref.subview %out[%row, 0] [16, 16] [1, 1] : memref<64x64xf32> to memref<16x16xf32, strided<[64, 1], offset: ?>>
  scf.for %k = %c0 to %c64 step %c16 {
    %acc0 = vector.transfer_read %tile[%c0, %c0], %pad {in_bounds = [true, true]} : memref<16x16xf32, strided<[64, 1], offset: ?>>, vector<16x8xf32>
    %acc1 = vector.transfer_read %tile[%c0, %c8], %pad {in_bounds = [true, true]} : memref<16x16xf32, strided<[64, 1], offset: ?>>, vector<16x8xf32>
    %bv = vector.transfer_read %b[%k, %c0], %pad {in_bounds = [true, true]} : memref<64x16xf32>, vector<16x8xf32>
    %r0 = arith.addf %acc0, %bv : vector<16x8xf32>
    %r1 = arith.addf %acc1, %bv : vector<16x8xf32>
    vector.transfer_write %r0, %tile[%c0, %c0] {in_bounds = [true, true]} : vector<16x8xf32>, memref<16x16xf32, strided<[64, 1], offset: ?>>
    vector.transfer_write %r1, %tile[%c0, %c8] {in_bounds = [true, true]} : vector<16x8xf32>, memref<16x16xf32, strided<[64, 1], offset: ?>>
  }
  return
}

// -----

// Another view of the same buffer is read in the loop: nothing moves.
// CHECK-LABEL: func.func @buffer_read_elsewhere
// CHECK: scf.for
// CHECK-NEXT: vector.transfer_read
// CHECK: vector.transfer_write
// CHECK-NEXT: {{^ *}}}
func.func @buffer_read_elsewhere(%out: memref<64x64xf32>, %row: index) {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %pad = arith.constant 0.0 : f32
  %tile = memref.subview %out[%row, 0] [16, 16] [1, 1] : memref<64x64xf32> to memref<16x16xf32, strided<[64, 1], offset: ?>>
  scf.for %k = %c0 to %c64 step %c16 {
    %acc = vector.transfer_read %tile[%c0, %c0], %pad {in_bounds = [true, true]} : memref<16x16xf32, strided<[64, 1], offset: ?>>, vector<16x8xf32>
    %other = vector.transfer_read %out[%k, %c0], %pad {in_bounds = [true, true]} : memref<64x64xf32>, vector<16x8xf32>
    %r = arith.addf %acc, %other : vector<16x8xf32>
    vector.transfer_write %r, %tile[%c0, %c0] {in_bounds = [true, true]} : vector<16x8xf32>, memref<16x16xf32, strided<[64, 1], offset: ?>>
  }
  return
}

// -----

// Two pieces that overlap (columns 0-7 and 4-11): nothing moves.
// CHECK-LABEL: func.func @overlapping_pieces
// CHECK: scf.for
// CHECK-NEXT: vector.transfer_read
// CHECK-NEXT: vector.transfer_read
func.func @overlapping_pieces(%out: memref<64x64xf32>, %row: index) {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %pad = arith.constant 0.0 : f32
  %one = arith.constant dense<1.0> : vector<16x8xf32>
  %tile = memref.subview %out[%row, 0] [16, 16] [1, 1] : memref<64x64xf32> to memref<16x16xf32, strided<[64, 1], offset: ?>>
  scf.for %k = %c0 to %c64 step %c16 {
    %acc0 = vector.transfer_read %tile[%c0, %c0], %pad {in_bounds = [true, true]} : memref<16x16xf32, strided<[64, 1], offset: ?>>, vector<16x8xf32>
    %acc1 = vector.transfer_read %tile[%c0, %c4], %pad {in_bounds = [true, true]} : memref<16x16xf32, strided<[64, 1], offset: ?>>, vector<16x8xf32>
    %r0 = arith.addf %acc0, %one : vector<16x8xf32>
    %r1 = arith.addf %acc1, %one : vector<16x8xf32>
    vector.transfer_write %r0, %tile[%c0, %c0] {in_bounds = [true, true]} : vector<16x8xf32>, memref<16x16xf32, strided<[64, 1], offset: ?>>
    vector.transfer_write %r1, %tile[%c0, %c4] {in_bounds = [true, true]} : vector<16x8xf32>, memref<16x16xf32, strided<[64, 1], offset: ?>>
  }
  return
}

// -----

// The pieces were just zeroed (with a barrier in between): the accumulators start
// from the zeros, the zero stores are dropped (the loop runs, the write after it
// overwrites them), and C is never read.
// CHECK-LABEL: func.func @zeroed_pieces
// CHECK: %[[Z:.*]] = arith.constant dense<0.000000e+00> : vector<16x8xf32>
// CHECK-NOT: vector.transfer_write
// CHECK: gpu.barrier
// CHECK-NOT: vector.transfer_read %{{.*}}[%c0, %c0]
// CHECK: %[[LOOP:.*]]:2 = scf.for {{.*}} iter_args(%{{.*}} = %[[Z]], %{{.*}} = %[[Z]])
// CHECK: scf.yield
// CHECK: vector.transfer_write %[[LOOP]]#1
// CHECK: vector.transfer_write %[[LOOP]]#0
func.func @zeroed_pieces(%b: memref<64x16xf32>, %out: memref<64x64xf32>, %row: index) {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %pad = arith.constant 0.0 : f32
  %zero = arith.constant dense<0.0> : vector<16x8xf32>
  %tile = memref.subview %out[%row, 0] [16, 16] [1, 1] : memref<64x64xf32> to memref<16x16xf32, strided<[64, 1], offset: ?>>
  vector.transfer_write %zero, %tile[%c0, %c0] {in_bounds = [true, true]} : vector<16x8xf32>, memref<16x16xf32, strided<[64, 1], offset: ?>>
  vector.transfer_write %zero, %tile[%c0, %c8] {in_bounds = [true, true]} : vector<16x8xf32>, memref<16x16xf32, strided<[64, 1], offset: ?>>
  gpu.barrier
  scf.for %k = %c0 to %c64 step %c16 {
    %acc0 = vector.transfer_read %tile[%c0, %c0], %pad {in_bounds = [true, true]} : memref<16x16xf32, strided<[64, 1], offset: ?>>, vector<16x8xf32>
    %acc1 = vector.transfer_read %tile[%c0, %c8], %pad {in_bounds = [true, true]} : memref<16x16xf32, strided<[64, 1], offset: ?>>, vector<16x8xf32>
    %bv = vector.transfer_read %b[%k, %c0], %pad {in_bounds = [true, true]} : memref<64x16xf32>, vector<16x8xf32>
    %r0 = arith.addf %acc0, %bv : vector<16x8xf32>
    %r1 = arith.addf %acc1, %bv : vector<16x8xf32>
    vector.transfer_write %r0, %tile[%c0, %c0] {in_bounds = [true, true]} : vector<16x8xf32>, memref<16x16xf32, strided<[64, 1], offset: ?>>
    vector.transfer_write %r1, %tile[%c0, %c8] {in_bounds = [true, true]} : vector<16x8xf32>, memref<16x16xf32, strided<[64, 1], offset: ?>>
  }
  return
}

// -----

// A store to the buffer through another view sits between the zeroing and the loop:
// the accumulators read C (they are still hoisted), the zero store stays.
// CHECK-LABEL: func.func @clobbered_between
// CHECK: vector.transfer_write %{{.*}}, %[[T:.*]][%c0, %c0]
// CHECK: vector.transfer_write %{{.*}}, %arg1
// CHECK: %[[R:.*]] = vector.transfer_read %[[T]][%c0, %c0]
// CHECK: scf.for {{.*}} iter_args(%{{.*}} = %[[R]])
func.func @clobbered_between(%b: memref<64x16xf32>, %out: memref<64x64xf32>, %row: index) {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c64 = arith.constant 64 : index
  %pad = arith.constant 0.0 : f32
  %zero = arith.constant dense<0.0> : vector<16x8xf32>
  %one = arith.constant dense<1.0> : vector<16x8xf32>
  %tile = memref.subview %out[%row, 0] [16, 16] [1, 1] : memref<64x64xf32> to memref<16x16xf32, strided<[64, 1], offset: ?>>
  vector.transfer_write %zero, %tile[%c0, %c0] {in_bounds = [true, true]} : vector<16x8xf32>, memref<16x16xf32, strided<[64, 1], offset: ?>>
  vector.transfer_write %one, %out[%row, %c0] {in_bounds = [true, true]} : vector<16x8xf32>, memref<64x64xf32>
  scf.for %k = %c0 to %c64 step %c16 {
    %acc = vector.transfer_read %tile[%c0, %c0], %pad {in_bounds = [true, true]} : memref<16x16xf32, strided<[64, 1], offset: ?>>, vector<16x8xf32>
    %bv = vector.transfer_read %b[%k, %c0], %pad {in_bounds = [true, true]} : memref<64x16xf32>, vector<16x8xf32>
    %r = arith.addf %acc, %bv : vector<16x8xf32>
    vector.transfer_write %r, %tile[%c0, %c0] {in_bounds = [true, true]} : vector<16x8xf32>, memref<16x16xf32, strided<[64, 1], offset: ?>>
  }
  return
}
