// kiln-gpu-tile: each linalg op of a function becomes a kernel: an scf.forall over blocks
// (kiln.gpu.kernel, with its kiln.gpu.block_dims) holding the op tiled again over threads or
// warps, and markers telling the buffer-level passes what to do next: promote (SIMT
// matmul), mma + warp_tile (tensor cores), wgmma (sm_90a), warp_reduce (row reductions).
// RUN: not kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-gpu-tile{chip=sm_80})' > %t.out 2> %t.err
// RUN: FileCheck %s < %t.out
// RUN: FileCheck %s --check-prefix=ERR < %t.err
// RUN: not kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-gpu-tile{chip=sm_90a})' 2> /dev/null | FileCheck %s --check-prefix=SM90A
// RUN: not kiln-opt %s --pass-pipeline='builtin.module(kiln-gpu-tile{chip=sm80})' 2>&1 | FileCheck %s --check-prefix=OPTION

// An elementwise op: 4 rows of 256 per block, 4 floats per thread.
// CHECK-LABEL: func.func @relu
// CHECK: scf.forall (%{{.*}}, %{{.*}}) in (16, 1) shared_outs
// CHECK: scf.forall (%{{.*}}, %{{.*}}) in (4, 64) shared_outs
// CHECK: arith.maximumf {{.*}} : vector<1x4xf32>
// CHECK: } {mapping = [#gpu.thread<y>, #gpu.thread<x>]}
// CHECK: } {kiln.gpu.block_dims = array<i64: 64, 4, 1>, kiln.gpu.kernel, mapping = [#gpu.block<y>, #gpu.block<x>]}
func.func @relu(%x: tensor<64x256xf32>) -> tensor<64x256xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x256xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<64x256xf32>) outs(%e : tensor<64x256xf32>) {
  ^bb0(%a: f32, %o: f32):
    %t = arith.maximumf %a, %zero : f32
    linalg.yield %t : f32
  } -> tensor<64x256xf32>
  return %r : tensor<64x256xf32>
}

// -----

// f32 without TF32: the SIMT matmul, its zero fill fused (each thread zeroes its 4x4 outputs),
// k-steps of 16 marked for promotion to shared memory.
// CHECK-LABEL: func.func @mm_f32
// CHECK: scf.forall (%{{.*}}, %{{.*}}) in (1, 1) shared_outs
// CHECK: vector.transfer_write %{{.*}} : vector<4x4xf32>, tensor<4x4xf32>
// CHECK: } {mapping = [#gpu.thread<y>, #gpu.thread<x>]}
// CHECK: scf.for %{{.*}} = %c0 to %c32 step %c16
// CHECK: linalg.matmul {kiln.gpu.promote, kiln.gpu.thread_tile = array<i64: 4, 4, 0>} ins(%{{.*}}, %{{.*}} : tensor<64x16xf32>, tensor<16x64xf32>)
// CHECK: } {kiln.gpu.block_dims = array<i64: 16, 16, 1>, kiln.gpu.kernel
// SM90A-LABEL: func.func @mm_f32
// SM90A: kiln.gpu.promote
func.func @mm_f32(%a: tensor<64x32xf32>, %b: tensor<32x64xf32>) -> tensor<64x64xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x64xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<64x64xf32>) -> tensor<64x64xf32>
  %r = linalg.matmul ins(%a, %b : tensor<64x32xf32>, tensor<32x64xf32>) outs(%c : tensor<64x64xf32>) -> tensor<64x64xf32>
  return %r : tensor<64x64xf32>
}

// -----

// f16 on sm_80: tensor cores, 2x2 warps of 64x64 each, 16-byte copies into shared memory; on
// sm_90a a 128x128x64 matmul is one wgmma kernel of one warpgroup.
// CHECK-LABEL: func.func @mm_f16
// CHECK: } {mapping = [#gpu.warp<y>, #gpu.warp<x>]}
// CHECK: linalg.matmul {kiln.gpu.mma, kiln.gpu.warp_tile = array<i64: 64, 64, 16>}
// CHECK: } {kiln.gpu.block_dims = array<i64: 64, 2, 1>, kiln.gpu.copy_lanes = 8 : i64, kiln.gpu.kernel
// SM90A-LABEL: func.func @mm_f16
// SM90A: linalg.fill
// SM90A: linalg.matmul {kiln.gpu.wgmma}
// SM90A: } {kiln.gpu.block_dims = array<i64: 128, 1, 1>, kiln.gpu.kernel
func.func @mm_f16(%a: tensor<128x64xf16>, %b: tensor<64x128xf16>) -> tensor<128x128xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<128x128xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<128x128xf32>) -> tensor<128x128xf32>
  %r = linalg.matmul ins(%a, %b : tensor<128x64xf16>, tensor<64x128xf16>) outs(%c : tensor<128x128xf32>) -> tensor<128x128xf32>
  return %r : tensor<128x128xf32>
}

// -----

// A row reduction: a warp per row.
// CHECK-LABEL: func.func @row_sum
// CHECK: scf.forall (%{{.*}}) in (4) shared_outs
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<1x256xf32>) {{.*}} attrs = {{ *}}{kiln.gpu.warp_reduce}
// CHECK: } {mapping = [#gpu.warp<x>]}
// CHECK: } {kiln.gpu.block_dims = array<i64: 128, 1, 1>, kiln.gpu.kernel, mapping = [#gpu.block<x>]}
func.func @row_sum(%x: tensor<4x256xf32>) -> tensor<4xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0)>], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<4x256xf32>) outs(%f : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// Must not change: a function without linalg ops.
// CHECK-LABEL: func.func @scalar
// CHECK-NEXT: arith.addf
// CHECK-NEXT: return
// CHECK-NOT: scf.forall
func.func @scalar(%a: f32) -> f32 {
  %s = arith.addf %a, %a : f32
  return %s : f32
}

// -----

// Errors name the pass, the op and why.
func.func @dynamic(%x: tensor<?x256xf32>) -> tensor<?x256xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?x256xf32>
  %e = tensor.empty(%n) : tensor<?x256xf32>
  // ERR: gpu-tile.mlir:[[# @LINE + 1]]:8: error: kiln-gpu-tile: linalg.generic has dynamic shapes
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<?x256xf32>) outs(%e : tensor<?x256xf32>) {
  ^bb0(%a: f32, %o: f32):
    %t = arith.negf %a : f32
    linalg.yield %t : f32
  } -> tensor<?x256xf32>
  return %r : tensor<?x256xf32>
}

// OPTION: kiln-gpu-tile: chip must look like sm_90, got 'sm80'
