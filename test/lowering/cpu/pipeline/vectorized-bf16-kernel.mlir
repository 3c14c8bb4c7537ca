// RUN: kiln-opt %s --kiln-pipeline=cpu --kiln-vector-width=16 --kiln-precision=bf16 --kiln-avx512-bf16 --stop-after=vectorized | FileCheck %s
// RUN: kiln-opt %s --kiln-pipeline=cpu --kiln-vector-width=16 --kiln-precision=bf16 --kiln-avx512-bf16 --stop-after=bufferized | FileCheck %s --check-prefix=BUF

// The shape of the bf16 micro-kernel (a 4 x 32 register block, 8 pairs of k per step):
// the accumulators are loop-carried vector<16xf32>s (one zmm each, read before the k loop
// and written after it), and each step does nr / 16 loads of B's panel row (32 bf16 =
// 16 pairs), one 32-bit load and broadcast of A's pair per block row, and one vdpbf16ps
// per accumulator. No 2-D accumulator sliced apart and rebuilt on every step, no pair
// extracted from a loaded vector.
// CHECK-LABEL: func.func @mm
// CHECK-COUNT-8: vector.transfer_read %{{.*}} : tensor<4x32xf32>, vector<16xf32>
// CHECK: %{{.*}}:8 = scf.for %{{.*}} = %{{.*}} to %{{.*}} step %c8 iter_args(%[[C0:[^ ]*]] = %{{[^,]*}}, %[[C1:[^ ]*]] = {{.*}}) -> (vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>)
// CHECK-NOT: vector.extract
// CHECK-NOT: strided_slice
// CHECK: %[[B0:.*]] = vector.transfer_read %{{.*}} : tensor<8x64xbf16>, vector<32xbf16>
// CHECK-NEXT: %[[B1:.*]] = vector.transfer_read %{{.*}} : tensor<8x64xbf16>, vector<32xbf16>
// CHECK-NEXT: %[[PAIR:.*]] = vector.transfer_read %{{.*}} : tensor<4x8x2xbf16>, vector<2xbf16>
// CHECK-NEXT: %[[WORD:.*]] = vector.bitcast %[[PAIR]] : vector<2xbf16> to vector<1xi32>
// CHECK-NEXT: %[[BCAST:.*]] = vector.broadcast %[[WORD]] : vector<1xi32> to vector<16xi32>
// CHECK-NEXT: %[[A:.*]] = vector.bitcast %[[BCAST]] : vector<16xi32> to vector<32xbf16>
// CHECK-NEXT: x86.avx512.dot %[[C0]], %[[A]], %[[B0]] : vector<32xbf16> -> vector<16xf32>
// CHECK-NEXT: x86.avx512.dot %[[C1]], %[[A]], %[[B1]] : vector<32xbf16> -> vector<16xf32>
// CHECK-NOT: vector.extract
// CHECK-NOT: strided_slice
// CHECK: scf.yield %{{.*}} : vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>, vector<16xf32>
// CHECK-NEXT: }
// CHECK-COUNT-8: vector.transfer_write %{{.*}} : vector<16xf32>, tensor<4x32xf32>
// CHECK: return

// After bufferization the panel row is a view of the packed B (a collapse_shape of
// its contiguous [nr, 2] dims), not a copy: no buffer is allocated in the k loop.
// BUF-LABEL: func.func @mm
// BUF: scf.for
// BUF-NOT: memref.alloc
// BUF: memref.collapse_shape %{{.*}} {{\[}}[0], [1, 2]] : memref<8x32x2xbf16, strided<[64, 2, 1], offset: ?>> into memref<8x64xbf16, strided<[64, 1], offset: ?>>
// BUF-NOT: memref.alloc
// BUF: return
func.func @mm(%a: tensor<16x128xf32>, %b: tensor<128x32xf32>) -> tensor<16x32xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<16x32xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<16x32xf32>) -> tensor<16x32xf32>
  %r = linalg.matmul ins(%a, %b : tensor<16x128xf32>, tensor<128x32xf32>) outs(%c : tensor<16x32xf32>) -> tensor<16x32xf32>
  return %r : tensor<16x32xf32>
}
