// kiln-gpu-wgmma: a kernel forall holding a zero fill and a matmul marked kiln.gpu.wgmma
// (f16/bf16 operands, f32 sums, 128x128 blocks) becomes a TMA + warpgroup-MMA gpu.launch: the
// host creates one TMA descriptor per operand, the kernel loads tiles into dynamic shared
// memory and multiplies them with nvgpu.warpgroup.mma; a fused elementwise epilogue is applied
// to the sums on their way out.
// RUN: not kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-gpu-wgmma)' > %t.out 2> %t.err
// RUN: FileCheck %s < %t.out
// RUN: FileCheck %s --check-prefix=ERR < %t.err

// CHECK-LABEL: func.func @sums
// CHECK-SAME: (%[[A:.*]]: memref<256x64xf16>, %[[B:.*]]: memref<64x128xf16>, %[[C:.*]]: memref<256x128xf32>)
// CHECK-NOT: scf.forall
// CHECK-NOT: linalg.
// CHECK: %[[UA:.*]] = memref.cast %[[A]] : memref<256x64xf16> to memref<*xf16>
// CHECK: %[[UB:.*]] = memref.cast %[[B]] : memref<64x128xf16> to memref<*xf16>
// CHECK: %[[DA:.*]] = nvgpu.tma.create.descriptor %[[UA]] box[%{{.*}}, %{{.*}}] : memref<*xf16> -> <tensor = memref<128x64xf16, #gpu.address_space<workgroup>>, swizzle = swizzle_128b
// CHECK: %[[DB:.*]] = nvgpu.tma.create.descriptor %[[UB]] box[%{{.*}}, %{{.*}}] : memref<*xf16> -> <tensor = memref<64x64xf16, #gpu.address_space<workgroup>>, swizzle = swizzle_128b
// CHECK: gpu.launch blocks({{.*}}) in (%{{.*}} = %c2, {{.*}}) threads({{.*}}) in (%{{.*}} = %c128, {{.*}}) dynamic_shared_memory_size
// CHECK: gpu.dynamic_shared_memory
// CHECK: nvgpu.mbarrier.create
// CHECK: nvgpu.tma.async.load %[[DA]]
// CHECK: nvgpu.tma.async.load %[[DB]]
// CHECK: nvgpu.warpgroup.mma.init.accumulator
// CHECK: nvgpu.warpgroup.generate.descriptor {{.*}}, %[[DA]]
// CHECK: nvgpu.warpgroup.generate.descriptor {{.*}}, %[[DB]]
// CHECK: nvgpu.warpgroup.mma
// CHECK: nvgpu.warpgroup.mma.store
// CHECK: memref.subview %[[C]]
// CHECK: vector.store {{.*}} : memref<128x128xf32, strided<[128, 1], offset: ?>>, vector<4xf32>
// CHECK: gpu.terminator
func.func @sums(%a: memref<256x64xf16>, %b: memref<64x128xf16>, %c: memref<256x128xf32>) {
  %zero = arith.constant 0.0 : f32
  scf.forall (%i, %j) in (2, 1) {
    %row = affine.apply affine_map<(d0) -> (d0 * 128)>(%i)
    %ta = memref.subview %a[%row, 0] [128, 64] [1, 1] : memref<256x64xf16> to memref<128x64xf16, strided<[64, 1], offset: ?>>
    %tc = memref.subview %c[%row, 0] [128, 128] [1, 1] : memref<256x128xf32> to memref<128x128xf32, strided<[128, 1], offset: ?>>
    linalg.fill ins(%zero : f32) outs(%tc : memref<128x128xf32, strided<[128, 1], offset: ?>>)
    linalg.matmul {kiln.gpu.wgmma} ins(%ta, %b : memref<128x64xf16, strided<[64, 1], offset: ?>>, memref<64x128xf16>) outs(%tc : memref<128x128xf32, strided<[128, 1], offset: ?>>)
  } {kiln.gpu.block_dims = array<i64: 128, 1, 1>, kiln.gpu.kernel, mapping = [#gpu.block<y>, #gpu.block<x>]}
  return
}

// -----

// PyTorch's half matmul: the truncation kiln-gpu-tile fused into the kernel (reading the
// block's local f32 tile) is applied to each 4-wide vector of sums: one kernel writing f16.
// CHECK-LABEL: func.func @half
// CHECK-SAME: %[[OUT:[^:]*]]: memref<128x128xf16>)
// CHECK-NOT: memref.alloc
// CHECK: gpu.launch
// CHECK: nvgpu.warpgroup.mma.store
// CHECK: %[[SUMS:.*]] = vector.load {{.*}} : memref<128x128xf32, #gpu.address_space<workgroup>>, vector<4xf32>
// CHECK: %[[HALF:.*]] = arith.truncf %[[SUMS]] : vector<4xf32> to vector<4xf16>
// CHECK: vector.store %[[HALF]], %{{.*}} : memref<128x128xf16, strided<[128, 1], offset: ?>>, vector<4xf16>
// CHECK-NOT: linalg.generic
func.func @half(%a: memref<128x64xbf16>, %b: memref<64x128xbf16>, %out: memref<128x128xf16>) {
  %zero = arith.constant 0.0 : f32
  scf.forall (%i, %j) in (1, 1) {
    %tile = memref.alloc() {alignment = 64 : i64} : memref<128x128xf32>
    linalg.fill ins(%zero : f32) outs(%tile : memref<128x128xf32>)
    linalg.matmul {kiln.gpu.wgmma} ins(%a, %b : memref<128x64xbf16>, memref<64x128xbf16>) outs(%tile : memref<128x128xf32>)
    linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
        ins(%tile : memref<128x128xf32>) outs(%out : memref<128x128xf16>) {
    ^bb0(%in: f32, %o: f16):
      %t = arith.truncf %in : f32 to f16
      linalg.yield %t : f16
    }
  } {kiln.gpu.block_dims = array<i64: 128, 1, 1>, kiln.gpu.kernel, mapping = [#gpu.block<y>, #gpu.block<x>]}
  return
}

// -----

// Must not change: a matmul kernel without the marker (kiln-gpu-tile chose mma.sync or SIMT).
// CHECK-LABEL: func.func @unmarked
// CHECK: scf.forall
// CHECK: linalg.fill
// CHECK: linalg.matmul {kiln.gpu.mma}
// CHECK: } {kiln.gpu.block_dims = array<i64: 128, 1, 1>, kiln.gpu.kernel
// CHECK-NOT: gpu.launch
func.func @unmarked(%a: memref<128x64xf16>, %b: memref<64x128xf16>, %c: memref<128x128xf32>) {
  %zero = arith.constant 0.0 : f32
  scf.forall (%i, %j) in (1, 1) {
    linalg.fill ins(%zero : f32) outs(%c : memref<128x128xf32>)
    linalg.matmul {kiln.gpu.mma} ins(%a, %b : memref<128x64xf16>, memref<64x128xf16>) outs(%c : memref<128x128xf32>)
  } {kiln.gpu.block_dims = array<i64: 128, 1, 1>, kiln.gpu.kernel, mapping = [#gpu.block<y>, #gpu.block<x>]}
  return
}

// -----

// Errors name the pass and the matmul; every marked matmul that breaks the pre-condition is
// reported.
func.func @not_from_zero(%a: memref<128x64xf16>, %b: memref<64x128xf16>, %c: memref<128x128xf32>) {
  %one = arith.constant 1.0 : f32
  scf.forall (%i, %j) in (1, 1) {
    linalg.fill ins(%one : f32) outs(%c : memref<128x128xf32>)
    // ERR: gpu-wgmma.mlir:[[# @LINE + 1]]:5: error: kiln-gpu-wgmma: C is filled with a non-zero value (the kernel starts from zeros)
    linalg.matmul {kiln.gpu.wgmma} ins(%a, %b : memref<128x64xf16>, memref<64x128xf16>) outs(%c : memref<128x128xf32>)
  } {kiln.gpu.block_dims = array<i64: 128, 1, 1>, kiln.gpu.kernel, mapping = [#gpu.block<y>, #gpu.block<x>]}
  scf.forall (%i, %j) in (1, 1) {
    linalg.fill ins(%one : f32) outs(%c : memref<128x128xf32>)
    // ERR: gpu-wgmma.mlir:[[# @LINE + 1]]:5: error: kiln-gpu-wgmma: expected f16 or bf16 operands and f32 sums, got f32 x f32 -> f32
    linalg.matmul {kiln.gpu.wgmma} ins(%c, %c : memref<128x128xf32>, memref<128x128xf32>) outs(%c : memref<128x128xf32>)
  } {kiln.gpu.block_dims = array<i64: 128, 1, 1>, kiln.gpu.kernel, mapping = [#gpu.block<y>, #gpu.block<x>]}
  return
}

// -----

func.func @strided_result(%a: memref<128x64xf16>, %b: memref<64x128xf16>, %c: memref<128x128xf32, strided<[256, 1]>>) {
  %zero = arith.constant 0.0 : f32
  scf.forall (%i, %j) in (1, 1) {
    linalg.fill ins(%zero : f32) outs(%c : memref<128x128xf32, strided<[256, 1]>>)
    // ERR: gpu-wgmma.mlir:[[# @LINE + 1]]:5: error: kiln-gpu-wgmma: the result is not a whole row-major buffer outside the kernel
    linalg.matmul {kiln.gpu.wgmma} ins(%a, %b : memref<128x64xf16>, memref<64x128xf16>) outs(%c : memref<128x128xf32, strided<[256, 1]>>)
  } {kiln.gpu.block_dims = array<i64: 128, 1, 1>, kiln.gpu.kernel, mapping = [#gpu.block<y>, #gpu.block<x>]}
  return
}
