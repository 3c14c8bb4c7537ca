// kiln-gpu-map: each kernel forall (kiln.gpu.kernel) becomes a gpu.launch whose grid is the
// forall's trip counts and whose block is its kiln.gpu.block_dims; the thread- and
// warp-mapped foralls inside become gpu.thread_id arithmetic, followed by a barrier.
// RUN: not kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-gpu-map)' > %t.out 2> %t.err
// RUN: FileCheck %s < %t.out
// RUN: FileCheck %s --check-prefix=ERR < %t.err

// CHECK-LABEL: func.func @threads
// CHECK-SAME: (%[[X:.*]]: memref<8x256xf32>, %[[Y:.*]]: memref<8x256xf32>)
// CHECK-NOT: scf.forall
// CHECK: gpu.launch blocks(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %c1{{[_0-9]*}}, %{{.*}} = %c2, %{{.*}} = %c1{{[_0-9]*}}) threads(%{{.*}}, %{{.*}}, %{{.*}}) in (%{{.*}} = %c64, %{{.*}} = %c4, %{{.*}} = %c1{{[_0-9]*}})
// CHECK: %[[BY:.*]] = gpu.block_id y
// CHECK: %[[ROW0:.*]] = affine.apply #{{.*}}(%[[BY]])
// CHECK: %[[TX:.*]] = gpu.thread_id x
// CHECK: %[[TY:.*]] = gpu.thread_id y
// CHECK: %[[ROW:.*]] = arith.addi %[[ROW0]], %[[TY]] : index
// CHECK: %[[COL:.*]] = affine.apply #{{.*}}(%[[TX]])
// CHECK: %[[V:.*]] = vector.transfer_read %[[X]][%[[ROW]], %[[COL]]]
// CHECK: vector.transfer_write %[[V]], %[[Y]][%[[ROW]], %[[COL]]]
// CHECK: gpu.barrier
// CHECK-NEXT: gpu.terminator
// CHECK-NOT: kiln.gpu
func.func @threads(%x: memref<8x256xf32>, %y: memref<8x256xf32>) {
  %pad = arith.constant 0.0 : f32
  scf.forall (%i, %j) in (2, 1) {
    %row0 = affine.apply affine_map<(d0) -> (d0 * 4)>(%i)
    scf.forall (%ty, %tx) in (4, 64) {
      %row = arith.addi %row0, %ty : index
      %col = affine.apply affine_map<(d0) -> (d0 * 4)>(%tx)
      %v = vector.transfer_read %x[%row, %col], %pad {in_bounds = [true]} : memref<8x256xf32>, vector<4xf32>
      vector.transfer_write %v, %y[%row, %col] {in_bounds = [true]} : vector<4xf32>, memref<8x256xf32>
    } {mapping = [#gpu.thread<y>, #gpu.thread<x>]}
  } {kiln.gpu.block_dims = array<i64: 64, 4, 1>, kiln.gpu.kernel, mapping = [#gpu.block<y>, #gpu.block<x>]}
  return
}

// -----

// A warp-mapped forall: warp w is threads 32w .. 32w+31.
// CHECK-LABEL: func.func @warps
// CHECK: gpu.launch
// CHECK: %[[TX:.*]] = gpu.thread_id x
// CHECK: %[[WARP:.*]] = affine.apply #{{.*}}()[%[[TX]]]
// CHECK: memref.store %{{.*}}, %{{.*}}[%[[WARP]]] : memref<4xf32>
// CHECK-NOT: scf.forall
func.func @warps(%out: memref<4xf32>) {
  %one = arith.constant 1.0 : f32
  scf.forall (%b) in (1) {
    scf.forall (%w) in (4) {
      memref.store %one, %out[%w] : memref<4xf32>
    } {mapping = [#gpu.warp<x>]}
  } {kiln.gpu.block_dims = array<i64: 128, 1, 1>, kiln.gpu.kernel, mapping = [#gpu.block<x>]}
  return
}

// -----

// Must not change: a forall that is not a kernel (no kiln.gpu.kernel).
// CHECK-LABEL: func.func @not_a_kernel
// CHECK-NOT: gpu.launch
// CHECK: scf.forall (%{{.*}}) in (4) {
// CHECK: } {mapping = [#gpu.thread<x>]}
func.func @not_a_kernel(%out: memref<4xf32>) {
  %one = arith.constant 1.0 : f32
  scf.forall (%i) in (4) {
    memref.store %one, %out[%i] : memref<4xf32>
  } {mapping = [#gpu.thread<x>]}
  return
}

// -----

// Errors name the pass and the kernel: more threads than the block has, no block size.
func.func @too_few_threads(%out: memref<256xf32>) {
  %one = arith.constant 1.0 : f32
  // ERR-DAG: gpu-map.mlir:[[# @LINE + 1]]:3: error: kiln-gpu-map: cannot map the kernel to [128, 1, 1] threads: the number of required parallel resources (blocks or threads) 256 overflows the number of available resources 128
  scf.forall (%b) in (1) {
    scf.forall (%t) in (256) {
      memref.store %one, %out[%t] : memref<256xf32>
    } {mapping = [#gpu.thread<x>]}
  } {kiln.gpu.block_dims = array<i64: 128, 1, 1>, kiln.gpu.kernel, mapping = [#gpu.block<x>]}
  // ERR-DAG: gpu-map.mlir:[[# @LINE + 1]]:3: error: kiln-gpu-map: kernel has no kiln.gpu.block_dims
  scf.forall (%b) in (1) {
    scf.forall (%t) in (4) {
      memref.store %one, %out[%t] : memref<256xf32>
    } {mapping = [#gpu.thread<x>]}
  } {kiln.gpu.kernel, mapping = [#gpu.block<x>]}
  return
}
