// The tensor-core matmul schedule: f16 matmuls on sm_80+ become mma.sync.m16n8k16,
// one warp per 32x32 sub-tile of a 64x64 block.
// RUN: kiln-compile %s --emit=tiled --chip=sm_80 | FileCheck %s --check-prefix=TILED
// RUN: kiln-compile %s --emit=gpu --chip=sm_80 | FileCheck %s --check-prefix=GPU
// RUN: kiln-compile %s --emit=ptx --chip=sm_80 | FileCheck %s --check-prefix=PTX -DCHIP=sm_80
// RUN: kiln-compile %s --emit=ptx --chip=sm_90 | FileCheck %s --check-prefix=PTX -DCHIP=sm_90
// Before Ampere, or when asked, the SIMT schedule:
// RUN: kiln-compile %s --emit=ptx --chip=sm_75 | FileCheck %s --check-prefix=SIMT
// RUN: kiln-compile %s --emit=ptx --chip=sm_90 --no-tensor-cores | FileCheck %s --check-prefix=SIMT

func.func @mm_f16(%a: tensor<128x256xf16>, %b: tensor<256x64xf16>) -> tensor<128x64xf16> {
  %zero = arith.constant 0.0 : f16
  %e = tensor.empty() : tensor<128x64xf16>
  %c = linalg.fill ins(%zero : f16) outs(%e : tensor<128x64xf16>) -> tensor<128x64xf16>
  %r = linalg.matmul ins(%a, %b : tensor<128x256xf16>, tensor<256x64xf16>) outs(%c : tensor<128x64xf16>) -> tensor<128x64xf16>
  return %r : tensor<128x64xf16>
}

// TILED-LABEL: func.func @mm_f16
// TILED: scf.forall ({{.*}}) in (2, 1)
// TILED: mapping = [#gpu.thread<linear_dim_1>, #gpu.thread<linear_dim_0>]
// TILED: scf.forall ({{.*}}) in (2, 2)
// TILED-COUNT-3: scf.for
// TILED: linalg.matmul {kiln.gpu.mma} ins({{.*}} : tensor<16x16xf16>, tensor<16x8xf16>) outs({{.*}} : tensor<16x8xf16>)
// TILED: mapping = [#gpu.warp<y>, #gpu.warp<x>]
// TILED: kiln.gpu.block_dims = array<i64: 64, 2, 1>, kiln.gpu.kernel

// GPU-LABEL: func.func @mm_f16
// GPU: gpu.launch_func{{.*}}@mm_f16_kernel::@mm_f16_kernel blocks in ({{.*}}) threads in (%[[C64:.*]], %[[C2:.*]], %{{.*}})
// GPU: gpu.module @mm_f16_kernel
// GPU: nvgpu.mma.sync({{.*}}) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf16>) -> vector<2x2xf16>

// PTX: .target [[CHIP]]
// PTX: .visible .entry mm_f16_kernel(
// PTX: .maxntid 64, 2, 1
// PTX: mma.sync.aligned.m16n8k16.row.col.f16.f16.f16.f16

// SIMT: .visible .entry mm_f16_kernel(
// SIMT-NOT: mma.sync
// SIMT: fma.rn.f16
