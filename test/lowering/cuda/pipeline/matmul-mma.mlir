// The tensor-core matmul schedule. PyTorch's f16 matmul is f16 x f16 -> f32 (then a
// truncation); it runs on mma.sync.m16n8k16 with f32 accumulators: A and B tiles
// staged in shared memory and read with ldmatrix (B transposed), each warp's C
// pieces kept in registers across the k loop, starting from the fill's zeros
// (C is written once, never read), one warp per 64x32 sub-tile.
// RUN: kiln-compile %s --emit=tiled --chip=sm_80 | FileCheck %s --check-prefix=TILED
// RUN: kiln-compile %s --emit=gpu --chip=sm_80 | FileCheck %s --check-prefix=GPU
// RUN: kiln-compile %s --emit=ptx --chip=sm_80 | FileCheck %s --check-prefix=PTX -DCHIP=sm_80
// RUN: kiln-compile %s --emit=ptx --chip=sm_90 | FileCheck %s --check-prefix=PTX -DCHIP=sm_90
// bf16: the same kernel, the tiles typed f16 for upstream's conversion, the mma in bf16.
// RUN: sed -e 's/xf16/xbf16/g' %s | kiln-compile - --emit=gpu --chip=sm_80 | FileCheck %s --check-prefix=BF16
// RUN: sed -e 's/xf16/xbf16/g' %s | kiln-compile - --emit=ptx --chip=sm_80 | FileCheck %s --check-prefix=BFISA
// A batch matmul: one batch per block, its unit dim dropped, then the same kernel.
// RUN: kiln-compile %S/Inputs/batch-matmul.mlir --emit=gpu --chip=sm_80 | FileCheck %s --check-prefix=BATCH
// Before Ampere, or when asked, the SIMT schedule:
// RUN: kiln-compile %s --emit=ptx --chip=sm_75 | FileCheck %s --check-prefix=SIMT
// RUN: kiln-compile %s --emit=ptx --chip=sm_90 --no-tensor-cores | FileCheck %s --check-prefix=SIMT

func.func @mm_f16(%a: tensor<128x256xf16>, %b: tensor<256x64xf16>) -> tensor<128x64xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<128x64xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<128x64xf32>) -> tensor<128x64xf32>
  %r = linalg.matmul ins(%a, %b : tensor<128x256xf16>, tensor<256x64xf16>) outs(%c : tensor<128x64xf32>) -> tensor<128x64xf32>
  return %r : tensor<128x64xf32>
}

// TILED-LABEL: func.func @mm_f16
// TILED: %[[ZEROS:.*]] = arith.constant dense<0.000000e+00> : vector<64x32xf32>
// TILED: scf.forall ({{.*}}) in (1, 1)
// TILED: scf.forall ({{.*}}) in (2, 2)
// TILED: vector.transfer_write %[[ZEROS]]
// TILED: mapping = [#gpu.warp<y>, #gpu.warp<x>]
// TILED: scf.for %{{.*}} = %c0 to %c256 step %c32
// TILED: linalg.matmul {kiln.gpu.mma, kiln.gpu.warp_tile = array<i64: 64, 32, 16>} ins({{.*}} : tensor<128x32xf16>, tensor<32x64xf16>) outs({{.*}} : tensor<128x64xf32>)
// TILED: kiln.gpu.block_dims = array<i64: 64, 2, 1>, kiln.gpu.copy_lanes = 8 : i64, kiln.gpu.kernel

// GPU-LABEL: func.func @mm_f16
// GPU: gpu.launch_func{{.*}}@mm_f16_kernel::@mm_f16_kernel blocks in ({{.*}}) threads in (%[[C64:.*]], %[[C2:.*]], %{{.*}})
// GPU: gpu.module @mm_f16_kernel
// The accumulators: 4 x 4 pieces of 16x8 per warp, zeros carried through the k loop.
// GPU-NOT: vector.load
// GPU: %[[ZERO:.*]] = arith.constant dense<0.000000e+00> : vector<2x2xf32>
// GPU-NOT: vector.load
// GPU: scf.for {{.*}} iter_args(%{{.*}} = %[[ZERO]], {{.*}}) -> (vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>, vector<2x2xf32>)
// GPU: gpu.barrier
// GPU: nvgpu.ldmatrix {{.*}} {numTiles = 4 : i32, transpose = false} : memref<64x32xf16, {{.*}}#gpu.address_space<workgroup>> -> vector<4x2xf16>
// GPU: nvgpu.ldmatrix {{.*}} {numTiles = 2 : i32, transpose = true} : memref<32x32xf16, {{.*}}#gpu.address_space<workgroup>> -> vector<2x2xf16>
// GPU: nvgpu.mma.sync({{.*}}) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>
// GPU: scf.yield
// GPU-NOT: nvgpu.mma.sync
// GPU: vector.store {{.*}} : memref<64x32xf32, {{.*}}>, vector<2xf32>
// GPU-NOT: vector.load

// PTX: .target [[CHIP]]
// PTX: .visible .entry mm_f16_kernel(
// PTX: .maxntid 64, 2, 1
// The A and B tiles go to shared memory 16 bytes (8 halves) at a time:
// PTX: ld.global.v4.b32
// PTX: st.shared.v4.b32
// PTX: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// PTX: ldmatrix.sync.aligned.m8n8.x2.trans.shared.b16
// PTX: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32

// SIMT: .visible .entry mm_f16_kernel(
// SIMT-NOT: mma.sync
// SIMT: fma.rn.f32

// BATCH-LABEL: func.func @bmm
// BATCH: gpu.launch_func  @bmm_kernel::@bmm_kernel blocks in (%c2, %c2, %c12) threads in (%c64, %c2, %c1)
// BATCH: gpu.func @bmm_kernel
// BATCH: scf.for {{.*}} iter_args({{.*}}) -> (vector<2x2xf32>
// BATCH: nvgpu.ldmatrix {{.*}} -> vector<4x2xf16>
// BATCH: nvgpu.mma.sync({{.*}}) {mmaShape = [16, 8, 16]} : (vector<4x2xf16>, vector<2x2xf16>, vector<2x2xf32>) -> vector<2x2xf32>

// BF16: arith.bitcast %{{.*}} : vector<4x8xbf16> to vector<4x8xf16>
// BF16: %[[FRAG:.*]] = nvgpu.ldmatrix {{.*}} -> vector<4x2xf16>
// BF16: %[[A:.*]] = arith.bitcast %[[FRAG]] : vector<4x2xf16> to vector<4x2xbf16>
// BF16: nvgpu.mma.sync(%[[A]], %{{.*}}, %{{.*}}) {mmaShape = [16, 8, 16]} : (vector<4x2xbf16>, vector<2x2xbf16>, vector<2x2xf32>) -> vector<2x2xf32>

// BFISA: ldmatrix.sync.aligned.m8n8.x4.shared.b16
// BFISA: mma.sync.aligned.m16n8k16.row.col.f32.bf16.bf16.f32
// BFISA-NOT: mma.sync.aligned.m16n8k16.row.col.f32.f16.f16.f32
