// RUN: kiln-opt %s --pass-pipeline='builtin.module(kiln-unshare-destinations)' | FileCheck %s
// Regression (fixed): ops are visited producers first, so the tensor.empty under a shared
// fill is checked before the fill is cloned; both fills then write into the
// same empty tensor, against the pass's post-condition. (The bufferized stage
// runs the pass twice, which hides this.) Visiting users before producers, or
// iterating to a fixed point, gives every fill its own empty tensor.

// CHECK-LABEL: func.func @shared_fill
// CHECK: %[[E0:.*]] = tensor.empty() : tensor<4x16xf32>
// CHECK: %[[E1:.*]] = tensor.empty() : tensor<4x16xf32>
// CHECK-DAG: linalg.fill {{.*}} outs(%[[E0]] : tensor<4x16xf32>)
// CHECK-DAG: linalg.fill {{.*}} outs(%[[E1]] : tensor<4x16xf32>)
// CHECK: return
func.func @shared_fill(%a: tensor<4x8xf32>, %b: tensor<8x16xf32>, %c: tensor<4x8xf32>) -> (tensor<4x16xf32>, tensor<4x16xf32>) {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<4x16xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<4x16xf32>) -> tensor<4x16xf32>
  %m1 = linalg.matmul ins(%a, %b : tensor<4x8xf32>, tensor<8x16xf32>) outs(%acc : tensor<4x16xf32>) -> tensor<4x16xf32>
  %m2 = linalg.matmul ins(%c, %b : tensor<4x8xf32>, tensor<8x16xf32>) outs(%acc : tensor<4x16xf32>) -> tensor<4x16xf32>
  return %m1, %m2 : tensor<4x16xf32>, tensor<4x16xf32>
}
