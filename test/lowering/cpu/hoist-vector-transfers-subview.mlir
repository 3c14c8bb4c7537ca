// XFAIL: *
// Known limitation (upstream): kiln-hoist-vector-transfers relies on MLIR's
// hoistRedundantVectorTransfers, which refuses any transfer whose memref comes
// from a view-like op. The cpu pipeline therefore hoists accumulators earlier,
// on tensors, in kiln-vectorize (see test/lowering/cpu/pipeline/bufferized-hoisted-accumulators.mlir).
// RUN: kiln-opt %s --pass-pipeline='builtin.module(kiln-hoist-vector-transfers)' | FileCheck %s

// CHECK-LABEL: func.func @accumulator_in_subview
// CHECK: %[[TILE:.*]] = memref.subview
// CHECK: %[[INIT:.*]] = vector.transfer_read %[[TILE]]
// CHECK: %[[FINAL:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[INIT]]) -> (vector<4x16xf32>)
// CHECK: vector.transfer_write %[[FINAL]], %[[TILE]]
func.func @accumulator_in_subview(%b: memref<16x16xf32>, %out: memref<8x16xf32>, %row: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c12 = arith.constant 12 : index
  %pad = arith.constant 0.0 : f32
  %tile = memref.subview %out[%row, 0] [4, 16] [1, 1] : memref<8x16xf32> to memref<4x16xf32, strided<[16, 1], offset: ?>>
  scf.for %k = %c0 to %c12 step %c1 {
    %acc = vector.transfer_read %tile[%c0, %c0], %pad {in_bounds = [true, true]} : memref<4x16xf32, strided<[16, 1], offset: ?>>, vector<4x16xf32>
    %bv = vector.transfer_read %b[%k, %c0], %pad {in_bounds = [true, true]} : memref<16x16xf32>, vector<4x16xf32>
    %r = arith.addf %acc, %bv : vector<4x16xf32>
    vector.transfer_write %r, %tile[%c0, %c0] {in_bounds = [true, true]} : vector<4x16xf32>, memref<4x16xf32, strided<[16, 1], offset: ?>>
  }
  return
}
