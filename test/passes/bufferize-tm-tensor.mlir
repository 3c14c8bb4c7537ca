// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-bufferize-tm-tensor)' | FileCheck %s
// RUN: not kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-bufferize-tm-tensor{ops=scan})' 2>&1 | FileCheck %s --check-prefix=ERR

// A scan (torch.cumsum) works on buffers afterwards; its result is a
// restrict, writable to_tensor of the fresh output buffer, which one-shot
// bufferization then accepts.
// CHECK-LABEL: func.func @cumsum
// CHECK-SAME: (%[[X:.*]]: tensor<16xf32>)
// CHECK-DAG: %[[IN:.*]] = bufferization.to_buffer %[[X]] : tensor<16xf32> to memref<16xf32>
// CHECK-DAG: %[[OUT:.*]] = memref.alloc() : memref<16xf32>
// CHECK-DAG: %[[RESULT:.*]] = bufferization.to_tensor %[[OUT]] restrict writable : memref<16xf32> to tensor<16xf32>
// CHECK-DAG: %[[ACC:.*]] = memref.alloc() : memref<f32>
// CHECK: tm_tensor.scan dimension(0) inclusive(true) ins(%[[IN]] : memref<16xf32>) outs(%[[OUT]], %[[ACC]] : memref<16xf32>, memref<f32>)
// CHECK: return %[[RESULT]] : tensor<16xf32>
func.func @cumsum(%x: tensor<16xf32>) -> tensor<16xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<16xf32>
  %out = linalg.fill ins(%zero : f32) outs(%e : tensor<16xf32>) -> tensor<16xf32>
  %ea = tensor.empty() : tensor<f32>
  %acc = linalg.fill ins(%zero : f32) outs(%ea : tensor<f32>) -> tensor<f32>
  %r:2 = tm_tensor.scan dimension(0) inclusive(true) ins(%x : tensor<16xf32>) outs(%out, %acc : tensor<16xf32>, tensor<f32>) {
  ^bb0(%a: f32, %b: f32):
    %s = arith.addf %a, %b : f32
    tm_tensor.yield %s : f32
  } -> tensor<16xf32>, tensor<f32>
  return %r#0 : tensor<16xf32>
}

// -----

// Must not change: without tm_tensor ops, tensors stay tensors and no
// to_tensor gets marked.
// CHECK-LABEL: func.func @no_tm_tensor
// CHECK-NOT: bufferization.
// CHECK-NOT: memref
// CHECK: linalg.fill
// CHECK-NOT: restrict
func.func @no_tm_tensor(%x: tensor<16xf32>) -> tensor<16xf32> {
  %zero = arith.constant 0.0 : f32
  %r = linalg.fill ins(%zero : f32) outs(%x : tensor<16xf32>) -> tensor<16xf32>
  return %r : tensor<16xf32>
}

// ERR: error: pass 'kiln-bufferize-tm-tensor' has no option 'ops'
