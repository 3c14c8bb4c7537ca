// kiln-gpu-distribute: the buffer-level half of the GPU schedules. Promoted matmul steps
// stage their A and B tiles in workgroup memory (module globals fetched in the kernel,
// filled by copies spread over the block's threads between barriers) and become per-thread
// FMAs; tensor-core steps become per-warp vector.contracts of mma.sync shape; marked row
// reductions become a lane-strided loop and a shuffle butterfly.
// RUN: not kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-gpu-distribute)' > %t.out 2> %t.err
// RUN: FileCheck %s < %t.out
// RUN: FileCheck %s --check-prefix=ERR < %t.err

// CHECK-DAG: memref.global "private" @[[$SA:__kiln_shared_[0-9]]] : memref<64x4xf32, #gpu.address_space<workgroup>> {alignment = 64 : i64}
// CHECK-DAG: memref.global "private" @[[$SB:__kiln_shared_[0-9]]] : memref<4x64xf32, #gpu.address_space<workgroup>> {alignment = 64 : i64}
// CHECK-LABEL: func.func @simt_step
// CHECK-SAME: (%[[A:.*]]: memref<64x8xf32>, %[[B:.*]]: memref<8x64xf32>, %[[C:.*]]: memref<64x64xf32>)
// CHECK: scf.forall
// CHECK-DAG: %[[SHA:.*]] = memref.get_global @[[$SA]]
// CHECK-DAG: %[[SHB:.*]] = memref.get_global @[[$SB]]
// CHECK: scf.for %[[K:.*]] =
// CHECK: %[[TA:.*]] = memref.subview %[[A]][0, %[[K]]] [64, 4]
// CHECK: gpu.barrier
// CHECK: scf.forall ({{.*}}) in (64, 1) {
// CHECK: vector.transfer_read %{{.*}} : memref<1x4xf32, strided<[8, 1], offset: ?>>, vector<4xf32>
// CHECK: vector.transfer_write %{{.*}} : vector<4xf32>, memref<1x4xf32, strided<[4, 1], offset: ?>, #gpu.address_space<workgroup>>
// CHECK: } {mapping = [#gpu.thread<linear_dim_1>, #gpu.thread<linear_dim_0>]}
// CHECK: gpu.barrier
// CHECK: scf.forall ({{.*}}) in (4, 16) {
// CHECK: } {mapping = [#gpu.thread<linear_dim_1>, #gpu.thread<linear_dim_0>]}
// CHECK: gpu.barrier
// CHECK: scf.forall ({{.*}}) in (16, 16) {
// CHECK: memref.subview %[[SHA]]
// CHECK: memref.subview %[[SHB]]
// CHECK-COUNT-16: vector.fma {{.*}} : vector<4xf32>
// CHECK-NOT: vector.contract
// CHECK: } {mapping = [#gpu.thread<y>, #gpu.thread<x>]}
// CHECK-NOT: memref.alloc
// CHECK-NOT: linalg.matmul
// CHECK-NOT: kiln.gpu.promote
// CHECK-NOT: kiln.gpu.thread_tile
// CHECK: } {kiln.gpu.block_dims = array<i64: 16, 16, 1>, kiln.gpu.kernel
func.func @simt_step(%a: memref<64x8xf32>, %b: memref<8x64xf32>, %c: memref<64x64xf32>) {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  scf.forall (%i, %j) in (1, 1) {
    scf.for %k = %c0 to %c8 step %c4 {
      %ta = memref.subview %a[0, %k] [64, 4] [1, 1] : memref<64x8xf32> to memref<64x4xf32, strided<[8, 1], offset: ?>>
      %tb = memref.subview %b[%k, 0] [4, 64] [1, 1] : memref<8x64xf32> to memref<4x64xf32, strided<[64, 1], offset: ?>>
      linalg.matmul {kiln.gpu.promote, kiln.gpu.thread_tile = array<i64: 4, 4, 0>}
          ins(%ta, %tb : memref<64x4xf32, strided<[8, 1], offset: ?>>, memref<4x64xf32, strided<[64, 1], offset: ?>>)
          outs(%c : memref<64x64xf32>)
    }
  } {kiln.gpu.block_dims = array<i64: 16, 16, 1>, kiln.gpu.kernel, mapping = [#gpu.block<y>, #gpu.block<x>]}
  return
}

// -----

// A tensor-core step: one warp (32 threads) owns a 32x16 piece of C, its k-steps unrolled to
// 16x8x16 contractions (the mma.sync shape); A and B are views, staged in shared memory with
// 8-element (16-byte) copies.
// CHECK-DAG: memref.global "private" @{{.*}} : memref<32x16xf16, #gpu.address_space<workgroup>>
// CHECK-DAG: memref.global "private" @{{.*}} : memref<16x16xf16, #gpu.address_space<workgroup>>
// CHECK-LABEL: func.func @mma_step
// CHECK: scf.for
// CHECK: gpu.barrier
// CHECK: vector.transfer_write {{.*}} : vector<8xf16>, {{.*}}#gpu.address_space<workgroup>>
// CHECK: } {mapping = [#gpu.thread<linear_dim_1>, #gpu.thread<linear_dim_0>]}
// CHECK: scf.forall ({{.*}}) in (1, 1) {
// CHECK-COUNT-4: vector.contract {{.*}} : vector<16x16xf16>, vector<16x8xf16> into vector<16x8xf32>
// CHECK: } {mapping = [#gpu.warp<y>, #gpu.warp<x>]}
// CHECK-NOT: kiln.gpu.mma
// CHECK-NOT: kiln.gpu.warp_tile
func.func @mma_step(%a: memref<32x32xf16>, %b: memref<32x16xf16>, %c: memref<32x16xf32>) {
  %c0 = arith.constant 0 : index
  %c16 = arith.constant 16 : index
  %c32 = arith.constant 32 : index
  scf.forall (%i, %j) in (1, 1) {
    scf.for %k = %c0 to %c32 step %c16 {
      %ta = memref.subview %a[0, %k] [32, 16] [1, 1] : memref<32x32xf16> to memref<32x16xf16, strided<[32, 1], offset: ?>>
      %tb = memref.subview %b[%k, 0] [16, 16] [1, 1] : memref<32x16xf16> to memref<16x16xf16, strided<[16, 1], offset: ?>>
      linalg.matmul {kiln.gpu.mma, kiln.gpu.warp_tile = array<i64: 32, 16, 16>}
          ins(%ta, %tb : memref<32x16xf16, strided<[32, 1], offset: ?>>, memref<16x16xf16, strided<[16, 1], offset: ?>>)
          outs(%c : memref<32x16xf32>)
    }
  } {kiln.gpu.block_dims = array<i64: 32, 1, 1>, kiln.gpu.copy_lanes = 8 : i64, kiln.gpu.kernel, mapping = [#gpu.block<y>, #gpu.block<x>]}
  return
}

// -----

// A row reduction one warp computes: each lane sums a strided slice of the row, five xor
// shuffles combine the 32 partial sums, lane 0 adds the initial value and stores.
// CHECK-LABEL: func.func @warp_row_sum
// CHECK: scf.forall ({{.*}}) in (4) {
// CHECK: %[[LANE:.*]] = gpu.lane_id
// CHECK: %[[PART:.*]] = scf.for %{{.*}} = %[[LANE]] to %c256 step %c32 iter_args
// CHECK: %[[S16:.*]], %{{.*}} = gpu.shuffle xor %[[PART]], %c16_i32, %c32_i32 : f32
// CHECK-COUNT-4: gpu.shuffle xor
// CHECK: %[[FIRST:.*]] = arith.cmpi eq, %[[LANE]], %{{.*}} : index
// CHECK: scf.if %[[FIRST]] {
// CHECK-NEXT: memref.store
// CHECK: } {mapping = [#gpu.warp<x>]}
// CHECK-NOT: linalg.generic
// CHECK-NOT: kiln.gpu.warp_reduce
func.func @warp_row_sum(%x: memref<4x256xf32>, %out: memref<4xf32>) {
  scf.forall (%b) in (1) {
    scf.forall (%w) in (4) {
      %row = memref.subview %x[%w, 0] [1, 256] [1, 1] : memref<4x256xf32> to memref<1x256xf32, strided<[256, 1], offset: ?>>
      %acc = memref.subview %out[%w] [1] [1] : memref<4xf32> to memref<1xf32, strided<[1], offset: ?>>
      linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]}
          ins(%row : memref<1x256xf32, strided<[256, 1], offset: ?>>) outs(%acc : memref<1xf32, strided<[1], offset: ?>>) attrs = {kiln.gpu.warp_reduce} {
      ^bb0(%in: f32, %o: f32):
        %s = arith.addf %in, %o : f32
        linalg.yield %s : f32
      }
    } {mapping = [#gpu.warp<x>]}
  } {kiln.gpu.block_dims = array<i64: 128, 1, 1>, kiln.gpu.kernel, mapping = [#gpu.block<x>]}
  return
}

// -----

// Must not change: an elementwise kernel (no marker, nothing to stage or lower).
// CHECK-LABEL: func.func @elementwise
// CHECK-NOT: memref.global
// CHECK-NOT: gpu.barrier
// CHECK: scf.forall (%{{.*}}, %{{.*}}) in (4, 64) {
// CHECK: %[[V:.*]] = vector.transfer_read %{{.*}} : memref<4x256xf32>, vector<4xf32>
// CHECK: %[[N:.*]] = arith.negf %[[V]] : vector<4xf32>
// CHECK: vector.transfer_write %[[N]], %{{.*}} : vector<4xf32>, memref<4x256xf32>
// CHECK: } {mapping = [#gpu.thread<y>, #gpu.thread<x>]}
// CHECK: } {kiln.gpu.block_dims = array<i64: 64, 4, 1>, kiln.gpu.kernel
func.func @elementwise(%x: memref<4x256xf32>, %y: memref<4x256xf32>) {
  %pad = arith.constant 0.0 : f32
  scf.forall (%i, %j) in (1, 1) {
    scf.forall (%ty, %tx) in (4, 64) {
      %col = affine.apply affine_map<(d0) -> (d0 * 4)>(%tx)
      %v = vector.transfer_read %x[%ty, %col], %pad {in_bounds = [true]} : memref<4x256xf32>, vector<4xf32>
      %n = arith.negf %v : vector<4xf32>
      vector.transfer_write %n, %y[%ty, %col] {in_bounds = [true]} : vector<4xf32>, memref<4x256xf32>
    } {mapping = [#gpu.thread<y>, #gpu.thread<x>]}
  } {kiln.gpu.block_dims = array<i64: 64, 4, 1>, kiln.gpu.kernel, mapping = [#gpu.block<y>, #gpu.block<x>]}
  return
}

// -----

// Errors name the pass and the op: a shared buffer no kernel uses ...
func.func @shared_outside_kernel(%src: memref<16xf32>) {
  // ERR: gpu-distribute.mlir:[[# @LINE + 1]]:10: error: kiln-gpu-distribute: shared buffer is not used inside a kernel (kiln.gpu.kernel forall)
  %buf = memref.alloc() : memref<16xf32, #gpu.address_space<workgroup>>
  memref.copy %src, %buf : memref<16xf32> to memref<16xf32, #gpu.address_space<workgroup>>
  return
}

// -----

// ... and a tensor-core batch step holding more than one batch.
func.func @two_batches(%a: memref<2x32x16xf16>, %b: memref<2x16x16xf16>, %c: memref<2x32x16xf32>) {
  scf.forall (%i, %j) in (1, 1) {
    // ERR: gpu-distribute.mlir:[[# @LINE + 1]]:5: error: kiln-gpu-distribute: a tensor-core batch_matmul step holds one batch per block, got memref<2x32x16xf16>
    linalg.batch_matmul {kiln.gpu.mma, kiln.gpu.warp_tile = array<i64: 32, 16, 16>}
        ins(%a, %b : memref<2x32x16xf16>, memref<2x16x16xf16>) outs(%c : memref<2x32x16xf32>)
  } {kiln.gpu.block_dims = array<i64: 32, 1, 1>, kiln.gpu.kernel, mapping = [#gpu.block<y>, #gpu.block<x>]}
  return
}

// -----

// ... and a step marked for tensor cores without its warp tile (found by the fuzzer:
// a KeyError in the pass before).
func.func @mma_without_warp_tile(%a: memref<128x64xf16>, %b: memref<64x128xf16>, %c: memref<128x128xf32>) {
  scf.forall (%i, %j) in (1, 1) {
    // ERR: gpu-distribute.mlir:[[# @LINE + 1]]:5: error: kiln-gpu-distribute: 'linalg.matmul' is marked kiln.gpu.mma but has no kiln.gpu.warp_tile
    linalg.matmul {kiln.gpu.mma} ins(%a, %b : memref<128x64xf16>, memref<64x128xf16>) outs(%c : memref<128x128xf32>)
  } {kiln.gpu.block_dims = array<i64: 128, 1, 1>, kiln.gpu.kernel, mapping = [#gpu.block<y>, #gpu.block<x>]}
  return
}
