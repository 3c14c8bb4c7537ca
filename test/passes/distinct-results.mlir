// RUN: kiln-opt %s --pass-pipeline='builtin.module(kiln-distinct-results)' | FileCheck %s

// The second return of the same tensor becomes a copy; distinct values
// (including a returned argument) are left alone.
// CHECK-LABEL: func.func @twice
// CHECK-SAME: (%[[X:.*]]: tensor<4xf32>)
// CHECK: %[[Y:.*]] = linalg.exp
// CHECK: %[[COPY:.*]] = bufferization.alloc_tensor() copy(%[[Y]]) : tensor<4xf32>
// CHECK: return %[[Y]], %[[COPY]], %[[X]] :
func.func @twice(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>, tensor<4xf32>) {
  %e = tensor.empty() : tensor<4xf32>
  %y = linalg.exp ins(%x : tensor<4xf32>) outs(%e : tensor<4xf32>) -> tensor<4xf32>
  return %y, %y, %x : tensor<4xf32>, tensor<4xf32>, tensor<4xf32>
}

// Private helpers are not entry points: their results are not user outputs.
// CHECK-LABEL: func.func private @helper
// CHECK-NOT: alloc_tensor
// CHECK: return %{{.*}}, %{{.*}} :
func.func private @helper(%x: tensor<4xf32>) -> (tensor<4xf32>, tensor<4xf32>) {
  return %x, %x : tensor<4xf32>, tensor<4xf32>
}
