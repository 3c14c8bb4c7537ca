// The elementwise schedule: one kernel, 4 floats per thread, 128-bit global accesses.
// RUN: kiln-compile %s --emit=gpu | FileCheck %s --check-prefix=GPU
// RUN: kiln-compile %s --emit=nvvm | FileCheck %s --check-prefix=NVVM
// RUN: kiln-compile %s --emit=llvm-ir | FileCheck %s --check-prefix=LLVM
// RUN: kiln-compile %s --emit=ptx | FileCheck %s --check-prefix=PTX

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>

// x * sigmoid(x) + bias: a fused chain reading a broadcast row.
func.func @silu_bias(%x: tensor<512x1024xf32>, %b: tensor<1024xf32>) -> tensor<512x1024xf32> {
  %one = arith.constant 1.0 : f32
  %e = tensor.empty() : tensor<512x1024xf32>
  %r = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %b : tensor<512x1024xf32>, tensor<1024xf32>) outs(%e : tensor<512x1024xf32>) {
  ^bb0(%a: f32, %c: f32, %o: f32):
    %n = arith.negf %a : f32
    %ex = math.exp %n : f32
    %d = arith.addf %one, %ex : f32
    %s = arith.divf %a, %d : f32
    %t = arith.addf %s, %c : f32
    linalg.yield %t : f32
  } -> tensor<512x1024xf32>
  return %r : tensor<512x1024xf32>
}

// The host function takes its result as an out-param and launches one kernel:
// a row of 1024 floats per block, 256 threads of 4 floats each.
// GPU-LABEL: func.func @silu_bias
// GPU-SAME: (%[[X:.*]]: memref<512x1024xf32>, %[[B:.*]]: memref<1024xf32>, %[[OUT:.*]]: memref<512x1024xf32>)
// GPU-DAG: %[[C1:.*]] = arith.constant 1 : index
// GPU-DAG: %[[C256:.*]] = arith.constant 256 : index
// GPU-DAG: %[[C512:.*]] = arith.constant 512 : index
// GPU: gpu.launch_func{{.*}}@silu_bias_kernel::@silu_bias_kernel blocks in (%[[C1]], %[[C512]], %[[C1]]) threads in (%[[C256]], %[[C1]], %[[C1]])
// GPU-SAME: %[[X]] : memref<512x1024xf32>
// GPU-SAME: %[[OUT]] : memref<512x1024xf32>
// GPU-SAME: %[[B]] : memref<1024xf32>
// GPU-NOT: gpu.launch_func
// GPU: gpu.module @silu_bias_kernel
// GPU: gpu.func @silu_bias_kernel
// GPU-SAME: kernel
// GPU: vector.transfer_read {{.*}} vector<4xf32>
// GPU-NOT: linalg.
// GPU-NOT: gpu.module

// NVVM: gpu.module @silu_bias_kernel [#nvvm.target<O = 3, chip = "sm_90">]
// NVVM: llvm.func @silu_bias_kernel(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr)
// NVVM-SAME: nvvm.kernel
// NVVM-SAME: nvvm.maxntid = array<i32: 256, 1, 1>
// NVVM: nvvm.read.ptx.sreg.tid.x
// NVVM: llvm.load {{.*}} {alignment = 16 : i64} : !llvm.ptr -> vector<4xf32>
// NVVM-NOT: vector.
// NVVM-NOT: memref.

// exp comes from libdevice, linked in and inlined later.
// LLVM: target triple = "nvptx64-nvidia-cuda"
// LLVM: define ptx_kernel void @silu_bias_kernel(ptr %0, ptr %1, ptr %2)
// LLVM: @llvm.nvvm.read.ptx.sreg.tid.x()
// LLVM: load <4 x float>, ptr {{.*}}, align 16

// PTX: .target sm_90
// PTX: .visible .entry silu_bias_kernel(
// PTX-NEXT: .param .u64 .ptr .align 1 silu_bias_kernel_param_0,
// PTX-NEXT: .param .u64 .ptr .align 1 silu_bias_kernel_param_1,
// PTX-NEXT: .param .u64 .ptr .align 1 silu_bias_kernel_param_2
// PTX-NEXT: )
// PTX: .maxntid 256, 1, 1
// PTX: ld.global.v4
// PTX: ex2.approx
// PTX: st.global.v4
// PTX-NOT: .entry
// PTX-NOT: call
