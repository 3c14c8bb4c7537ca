// kiln-gpu-tensormap-args: a kernel argument of TMA descriptor type becomes an !llvm.ptr,
// cast back to the descriptor at the top of the kernel; the launch passes the host's
// descriptor through the same cast.
// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-gpu-tensormap-args)' | FileCheck %s

!desc = !nvgpu.tensormap.descriptor<tensor = memref<128x64xf16, #gpu.address_space<workgroup>>, swizzle = swizzle_128b, l2promo = none, oob = zero, interleave = none>

// CHECK-LABEL: func.func @host
// CHECK-SAME: (%[[A:.*]]: memref<128x64xf16>, %[[C:.*]]: memref<128x128xf32>)
// CHECK: %[[DESC:.*]] = nvgpu.tma.create.descriptor
// CHECK: %[[PTR:.*]] = builtin.unrealized_conversion_cast %[[DESC]] : !nvgpu.tensormap.descriptor<{{.*}}> to !llvm.ptr
// CHECK: gpu.launch_func {{ *}}@kernels::@k blocks in ({{.*}}) threads in ({{.*}}) {{ *}}args(%[[PTR]] : !llvm.ptr, %[[C]] : memref<128x128xf32>)
// CHECK: gpu.func @k(%[[ARG:.*]]: !llvm.ptr, %{{.*}}: memref<128x128xf32>) kernel
// CHECK-NEXT: %[[BACK:.*]] = builtin.unrealized_conversion_cast %[[ARG]] : !llvm.ptr to !nvgpu.tensormap.descriptor<{{.*}}>
// CHECK: nvgpu.tma.prefetch.descriptor %[[BACK]]
module attributes {gpu.container_module} {
  func.func @host(%a: memref<128x64xf16>, %c: memref<128x128xf32>) {
    %c1 = arith.constant 1 : index
    %c64 = arith.constant 64 : index
    %c128 = arith.constant 128 : index
    %ua = memref.cast %a : memref<128x64xf16> to memref<*xf16>
    %desc = nvgpu.tma.create.descriptor %ua box[%c128, %c64] : memref<*xf16> -> !desc
    gpu.launch_func @kernels::@k blocks in (%c1, %c1, %c1) threads in (%c128, %c1, %c1) args(%desc : !desc, %c : memref<128x128xf32>)
    return
  }
  gpu.module @kernels {
    gpu.func @k(%d: !desc, %c: memref<128x128xf32>) kernel {
      nvgpu.tma.prefetch.descriptor %d : !desc
      gpu.return
    }
  }
}

// -----

// Must not change: kernels without descriptors.
// CHECK-LABEL: func.func @plain
// CHECK-NOT: unrealized_conversion_cast
// CHECK: gpu.launch_func {{ *}}@kernels::@k blocks in ({{.*}}) threads in ({{.*}}) {{ *}}args(%{{.*}} : memref<16xf32>)
// CHECK: gpu.func @k(%{{.*}}: memref<16xf32>) kernel
// CHECK-NOT: unrealized_conversion_cast
module attributes {gpu.container_module} {
  func.func @plain(%x: memref<16xf32>) {
    %c1 = arith.constant 1 : index
    gpu.launch_func @kernels::@k blocks in (%c1, %c1, %c1) threads in (%c1, %c1, %c1) args(%x : memref<16xf32>)
    return
  }
  gpu.module @kernels {
    gpu.func @k(%x: memref<16xf32>) kernel {
      gpu.return
    }
  }
}

// -----

// Must not change: a device function (not a kernel) taking a descriptor; its callers pass
// descriptors and convert-nvgpu-to-nvvm converts its signature.
// CHECK-LABEL: gpu.module @device_function
// CHECK: gpu.func @prefetch(%[[D:.*]]: !nvgpu.tensormap.descriptor<{{.*}}>) -> i32
// CHECK-NEXT: nvgpu.tma.prefetch.descriptor %[[D]]
// CHECK-NOT: unrealized_conversion_cast
!desc = !nvgpu.tensormap.descriptor<tensor = memref<128x64xf16, #gpu.address_space<workgroup>>, swizzle = swizzle_128b, l2promo = none, oob = zero, interleave = none>
module attributes {gpu.container_module} {
  gpu.module @device_function {
    gpu.func @prefetch(%d: !desc) -> i32 {
      nvgpu.tma.prefetch.descriptor %d : !desc
      %zero = arith.constant 0 : i32
      gpu.return %zero : i32
    }
  }
}
