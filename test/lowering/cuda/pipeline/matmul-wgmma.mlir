// Hopper: an f16 x f16 -> f32 matmul on sm_90a becomes a TMA + wgmma kernel
// (kiln-gpu-wgmma): one warpgroup per 128x128 tile of C, A and B tiles brought
// by TMA into 128-byte-swizzled dynamic shared memory (3 stages), wgmma
// m64n128k16 into f32 registers, the host creating the two TMA descriptors.
// RUN: kiln-compile %s --emit=tiled --chip=sm_90a | FileCheck %s --check-prefix=TILED
// RUN: kiln-compile %s --emit=gpu --chip=sm_90a | FileCheck %s --check-prefix=GPU
// RUN: kiln-compile %s --emit=ptx --chip=sm_90a | FileCheck %s --check-prefix=PTX
// Plain sm_90 (no arch-specific features) and shapes off the 128x128x64 grid keep mma.sync:
// RUN: kiln-compile %s --emit=ptx --chip=sm_90 | FileCheck %s --check-prefix=MMA
// RUN: sed -e 's/384/392/g' %s | kiln-compile - --emit=ptx --chip=sm_90a | FileCheck %s --check-prefix=MMA
// bf16 operands take the same kernel:
// RUN: sed -e 's/xf16/xbf16/g' %s | kiln-compile - --emit=ptx --chip=sm_90a | FileCheck %s --check-prefix=BF16
// PyTorch's half matmul (f32 sums truncated to f16): the truncation is fused, one kernel.
// RUN: kiln-compile %S/Inputs/half-matmul.mlir --emit=gpu --chip=sm_90a | FileCheck %s --check-prefix=HALF
// A Linear's whole elementwise epilogue (bias, activation, residual) is fused the same way:
// RUN: kiln-compile %S/Inputs/linear-epilogue.mlir --emit=gpu --chip=sm_90a | FileCheck %s --check-prefix=EPI
// RUN: kiln-compile %S/Inputs/linear-epilogue.mlir --emit=cubin --chip=sm_90a -o %t.epi.cubin

func.func @mm(%a: tensor<256x512xf16>, %b: tensor<512x384xf16>) -> tensor<256x384xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<256x384xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<256x384xf32>) -> tensor<256x384xf32>
  %r = linalg.matmul ins(%a, %b : tensor<256x512xf16>, tensor<512x384xf16>) outs(%c : tensor<256x384xf32>) -> tensor<256x384xf32>
  return %r : tensor<256x384xf32>
}

// TILED-LABEL: func.func @mm
// TILED: scf.forall ({{.*}}) in (2, 3)
// TILED: linalg.fill
// TILED: linalg.matmul {kiln.gpu.wgmma} ins({{.*}} : tensor<128x512xf16>, tensor<512x128xf16>) outs({{.*}} : tensor<128x128xf32>)
// TILED: kiln.gpu.block_dims = array<i64: 128, 1, 1>, kiln.gpu.kernel

// GPU-LABEL: func.func @mm
// GPU-SAME: (%[[A:.*]]: memref<256x512xf16>, %[[B:.*]]: memref<512x384xf16>, %[[C:.*]]: memref<256x384xf32>)
// GPU-DAG: %[[UA:.*]] = memref.cast %[[A]] : memref<256x512xf16> to memref<*xf16>
// GPU-DAG: %[[UB:.*]] = memref.cast %[[B]] : memref<512x384xf16> to memref<*xf16>
// GPU: %[[DA:.*]] = nvgpu.tma.create.descriptor %[[UA]] box[%c128, %c64] : memref<*xf16> -> <tensor = memref<128x64xf16, {{.*}}>, swizzle = swizzle_128b
// GPU: %[[DB:.*]] = nvgpu.tma.create.descriptor %[[UB]] box[%c64, %c64] : memref<*xf16> -> <tensor = memref<64x64xf16, {{.*}}>, swizzle = swizzle_128b
// GPU: gpu.launch_func  @mm_kernel::@mm_kernel blocks in (%c2, %c3, %c1) threads in (%c128, %c1, %c1)  dynamic_shared_memory_size %c99328_i32 args(%{{.*}} : !llvm.ptr, %{{.*}} : !llvm.ptr, %[[C]] : memref<256x384xf32>)
// GPU: gpu.func @mm_kernel(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: memref<256x384xf32>) kernel
// GPU: nvgpu.mbarrier.create
// GPU: nvgpu.tma.async.load
// GPU: nvgpu.warpgroup.mma.init.accumulator
// GPU: scf.for
// GPU: nvgpu.mbarrier.try_wait.parity
// GPU: nvgpu.warpgroup.mma {{.*}} {transposeB}
// GPU: nvgpu.tma.async.load
// GPU: nvvm.wgmma.wait.group.sync.aligned 0
// GPU: nvgpu.warpgroup.mma.store
// GPU-NOT: linalg.

// PTX: .target sm_90a
// PTX: .visible .entry mm_kernel(
// PTX: .maxntid 128, 1, 1
// PTX: cp.async.bulk.tensor.2d.shared::cluster.global.mbarrier::complete_tx::bytes
// PTX: mbarrier.try_wait.parity
// PTX: wgmma.fence.sync.aligned
// PTX-COUNT-8: wgmma.mma_async.sync.aligned.m64n128k16.f32.f16.f16
// PTX: wgmma.commit_group.sync.aligned

// MMA: .visible .entry mm_kernel(
// MMA-NOT: wgmma
// MMA: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32

// BF16-COUNT-8: wgmma.mma_async.sync.aligned.m64n128k16.f32.bf16.bf16

// HALF-LABEL: func.func @half_mm
// HALF-COUNT-1: gpu.launch_func
// HALF-NOT: gpu.launch_func
// HALF: gpu.func @half_mm_kernel(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: memref<256x384xf16>) kernel
// HALF: nvgpu.warpgroup.mma
// HALF: nvgpu.warpgroup.mma.store
// HALF: arith.truncf %{{.*}} : vector<4xf32> to vector<4xf16>
// HALF: vector.store {{.*}} : memref<128x128xf16, strided<[384, 1], offset: ?>>, vector<4xf16>

// EPI-LABEL: func.func @linear
// EPI-SAME: (%[[X:.*]]: memref<256x512xf16>, %[[W:.*]]: memref<512x384xf16>, %[[BIAS:.*]]: memref<384xf16>, %[[RES:.*]]: memref<256x384xf16>, %[[OUT:.*]]: memref<256x384xf16>)
// EPI: gpu.launch_func  @linear_kernel::@linear_kernel {{.*}} args(%{{.*}} : !llvm.ptr, %{{.*}} : !llvm.ptr, %[[OUT]] : memref<256x384xf16>, %[[RES]] : memref<256x384xf16>, %[[BIAS]] : memref<384xf16>)
// EPI-NOT: gpu.launch_func
// EPI: gpu.func @linear_kernel(
// EPI: nvgpu.warpgroup.mma.store
// EPI: scf.for
// EPI-DAG: %[[SUMS:.*]] = vector.load %{{.*}} : memref<128x128xf32, #gpu.address_space<workgroup>>, vector<4xf32>
// EPI-DAG: %[[B:.*]] = vector.load %arg4[%{{.*}}] : memref<384xf16>, vector<4xf16>
// EPI-DAG: %[[R:.*]] = vector.load %arg3[%{{.*}}, %{{.*}}] : memref<256x384xf16>, vector<4xf16>
// EPI: arith.extf %[[B]] : vector<4xf16> to vector<4xf32>
// EPI: math.erf %{{.*}} : vector<4xf16>
// EPI: %[[Y:.*]] = arith.addf %[[R]], %{{.*}} : vector<4xf16>
// EPI: vector.store %[[Y]], %{{.*}} : memref<128x128xf16, strided<[384, 1], offset: ?>>, vector<4xf16>
