// Zero-size dimensions on the cuda pipeline (kiln-fold-zero-size in its graph stage):
// a matmul with K = 0 is its zero fill, one with M = 0 launches nothing. Both used to
// crash the GPU schedules.
// RUN: kiln-compile %s --target=cuda --emit=gpu | FileCheck %s
// RUN: kiln-compile %s --target=cuda --emit=ptx | FileCheck %s --check-prefix=PTX

// CHECK-LABEL: func.func @matmul_k0
// CHECK-SAME: (%{{.*}}: memref<8x0xf32>, %{{.*}}: memref<0x16xf32>, %[[OUT:.*]]: memref<8x16xf32>)
// CHECK: gpu.launch_func @matmul_k0_kernel::@matmul_k0_kernel {{.*}} args(%[[OUT]] : memref<8x16xf32>)
// CHECK-NOT: gpu.launch_func
// CHECK: return
func.func @matmul_k0(%a: tensor<8x0xf32>, %b: tensor<0x16xf32>) -> tensor<8x16xf32> {
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x16xf32>
  %f = linalg.fill ins(%cst : f32) outs(%e : tensor<8x16xf32>) -> tensor<8x16xf32>
  %r = linalg.matmul ins(%a, %b : tensor<8x0xf32>, tensor<0x16xf32>) outs(%f : tensor<8x16xf32>) -> tensor<8x16xf32>
  return %r : tensor<8x16xf32>
}

// CHECK-LABEL: func.func @matmul_m0
// CHECK-NOT: gpu.launch_func
// CHECK: return
func.func @matmul_m0(%a: tensor<0x8xf32>, %b: tensor<8x16xf32>) -> tensor<0x16xf32> {
  %cst = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<0x16xf32>
  %f = linalg.fill ins(%cst : f32) outs(%e : tensor<0x16xf32>) -> tensor<0x16xf32>
  %r = linalg.matmul ins(%a, %b : tensor<0x8xf32>, tensor<8x16xf32>) outs(%f : tensor<0x16xf32>) -> tensor<0x16xf32>
  return %r : tensor<0x16xf32>
}

// PTX: .entry matmul_k0_kernel
// PTX-NOT: .entry
