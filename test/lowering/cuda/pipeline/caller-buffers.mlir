// The cuda pipeline writes only the buffers it owns: a tensor returned twice fills two
// distinct out-params (upstream buffer-results-to-out-params crashed on it), and an
// input used as a destination is copied into the out-param, never written.
// RUN: kiln-compile %s --target=cuda --emit=gpu | FileCheck %s
// RUN: kiln-compile %s --target=cuda --emit=ptx | FileCheck %s --check-prefix=PTX

#id = affine_map<(d0, d1) -> (d0, d1)>

// CHECK-LABEL: func.func @twice
// CHECK-SAME: (%[[X:.*]]: memref<64x64xf32>, %[[OUT0:.*]]: memref<64x64xf32>, %[[OUT1:.*]]: memref<64x64xf32>)
// CHECK: gpu.launch_func @twice_kernel::@twice_kernel {{.*}} args(%[[X]] : memref<64x64xf32>, %[[OUT0]] : memref<64x64xf32>)
// CHECK: memref.copy %[[OUT0]], %[[OUT1]]
// CHECK: return
func.func @twice(%x: tensor<64x64xf32>) -> (tensor<64x64xf32>, tensor<64x64xf32>) {
  %e = tensor.empty() : tensor<64x64xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<64x64xf32>) outs(%e : tensor<64x64xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %a : f32
    linalg.yield %s : f32
  } -> tensor<64x64xf32>
  return %r, %r : tensor<64x64xf32>, tensor<64x64xf32>
}

// The accumulator argument %c is read (copied into the out-param), the kernel gets the copy.
// CHECK-LABEL: func.func @accumulate
// CHECK-SAME: (%[[A:.*]]: memref<64x64xf32>, %[[B:.*]]: memref<64x64xf32>, %[[C:.*]]: memref<64x64xf32>, %[[OUT:.*]]: memref<64x64xf32>)
// CHECK: memref.copy %[[C]], %[[OUT]]
// CHECK: gpu.launch_func @accumulate_kernel::@accumulate_kernel {{.*}} args(%[[A]] : memref<64x64xf32>, %[[B]] : memref<64x64xf32>, %[[OUT]] : memref<64x64xf32>)
// CHECK-NOT: %[[C]] :
// CHECK: return
func.func @accumulate(%a: tensor<64x64xf32>, %b: tensor<64x64xf32>, %c: tensor<64x64xf32>) -> tensor<64x64xf32> {
  %r = linalg.matmul ins(%a, %b : tensor<64x64xf32>, tensor<64x64xf32>) outs(%c : tensor<64x64xf32>) -> tensor<64x64xf32>
  return %r : tensor<64x64xf32>
}

// PTX: .entry twice_kernel
// PTX: .entry accumulate_kernel
