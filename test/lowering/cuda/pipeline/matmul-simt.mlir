// The SIMT matmul schedule: 64x64 blocks, A and B tiles staged in shared memory,
// 4x4 outputs per thread computed with FMAs.
// RUN: kiln-compile %s --emit=tiled | FileCheck %s --check-prefix=TILED
// RUN: kiln-compile %s --emit=gpu | FileCheck %s --check-prefix=GPU
// RUN: kiln-compile %s --emit=ptx | FileCheck %s --check-prefix=PTX
// f32 stays off tensor cores unless TF32 is allowed:
// RUN: kiln-compile %s --emit=ptx --chip=sm_80 | FileCheck %s --check-prefix=PTX
// RUN: kiln-compile %s --emit=ptx --chip=sm_80 --tf32 | FileCheck %s --check-prefix=TF32

func.func @mm(%a: tensor<256x512xf32>, %b: tensor<512x128xf32>) -> tensor<256x128xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<256x128xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<256x128xf32>) -> tensor<256x128xf32>
  %r = linalg.matmul ins(%a, %b : tensor<256x512xf32>, tensor<512x128xf32>) outs(%c : tensor<256x128xf32>) -> tensor<256x128xf32>
  return %r : tensor<256x128xf32>
}

// The fill is fused into the block loop; k is tiled by 16 and marked for promotion.
// TILED-LABEL: func.func @mm
// TILED: scf.forall ({{.*}}) in (4, 2)
// TILED: scf.forall ({{.*}}) in (16, 16)
// TILED: vector.transfer_write
// TILED: mapping = [#gpu.thread<y>, #gpu.thread<x>]
// TILED: scf.for
// TILED: linalg.matmul {kiln.gpu.promote, kiln.gpu.thread_tile = array<i64: 4, 4, 0>}
// TILED: kiln.gpu.block_dims = array<i64: 16, 16, 1>, kiln.gpu.kernel, mapping = [#gpu.block<y>, #gpu.block<x>]

// GPU-LABEL: func.func @mm
// GPU: gpu.launch_func{{.*}}@mm_kernel::@mm_kernel blocks in (%{{.*}}) threads in (%[[C16:.*]], %[[C16]], %{{.*}})
// GPU-NOT: gpu.launch_func
// GPU: gpu.module @mm_kernel
// GPU: memref.get_global @__kiln_shared_{{[0-9]}} : memref<64x16xf32, #gpu.address_space<workgroup>>
// GPU: memref.get_global @__kiln_shared_{{[0-9]}} : memref<16x64xf32, #gpu.address_space<workgroup>>
// GPU: scf.for
// GPU: gpu.barrier
// GPU: vector.fma
// GPU-DAG: memref.global "private" @__kiln_shared_0 : memref<16x64xf32, #gpu.address_space<workgroup>>
// GPU-DAG: memref.global "private" @__kiln_shared_1 : memref<64x16xf32, #gpu.address_space<workgroup>>

// PTX: .visible .entry mm_kernel(
// PTX-NEXT: .param .u64 .ptr .align 1 mm_kernel_param_0,
// PTX-NEXT: .param .u64 .ptr .align 1 mm_kernel_param_1,
// PTX-NEXT: .param .u64 .ptr .align 1 mm_kernel_param_2
// PTX-NEXT: )
// PTX: .shared .align 64 .b8 __kiln_shared_{{[0-9]}}[4096];
// PTX: ld.global.v4
// PTX: st.shared.v4
// PTX: bar.sync
// PTX: ld.shared.v4
// PTX: fma.rn.f32
// PTX-NOT: mma.sync

// TF32: .target sm_80
// TF32: mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32
