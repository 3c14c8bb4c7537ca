// RUN: kiln-opt %s --kiln-pipeline=cpu --kiln-vector-width=16 --kiln-precision=bf16 --kiln-avx512-bf16 --stop-after=vectorized | FileCheck %s
// RUN: kiln-opt %s --kiln-pipeline=cpu --kiln-vector-width=16 --kiln-precision=bf16 --kiln-avx512-bf16 | FileCheck %s --check-prefix=LLVM
// RUN: kiln-opt %s --kiln-pipeline=cpu --kiln-vector-width=16 --stop-after=vectorized | FileCheck %s --check-prefix=F32
// RUN: not kiln-opt %s --kiln-pipeline=cpu --kiln-vector-width=16 --kiln-precision=bf16 --kiln-no-avx512-bf16 2>&1 | FileCheck %s --check-prefix=ERR

// An 8 x 64 x 32 matmul in bf16: a 4 x 32 register block per k step loads B's panel row
// as two vector<32xbf16> (16 pairs each, read from the row-collapsed panel: one zmm load
// each), broadcasts A's bf16 pair as one 32-bit word per row, read straight from memory,
// and takes one vdpbf16ps per row and 16 columns: 4 x 2 dots per pair of k, accumulating
// in f32. No FMA, no contract is left.
// CHECK-LABEL: func.func @mm
// CHECK: scf.for
// CHECK: %[[ROW:.*]] = tensor.collapse_shape %{{.*}} {{\[}}[0], [1, 2]] : tensor<8x32x2xbf16> into tensor<8x64xbf16>
// CHECK: %[[B0:.*]] = vector.transfer_read %[[ROW]][%{{.*}}, %{{.*}}], %{{.*}} {in_bounds = [true]} : tensor<8x64xbf16>, vector<32xbf16>
// CHECK: %[[B1:.*]] = vector.transfer_read %[[ROW]][%{{.*}}, %c32], %{{.*}} {in_bounds = [true]} : tensor<8x64xbf16>, vector<32xbf16>
// CHECK: %[[PAIR:.*]] = vector.transfer_read %{{.*}}, %{{.*}} {in_bounds = [true]} : tensor<4x8x2xbf16>, vector<2xbf16>
// CHECK: %[[WORD:.*]] = vector.bitcast %[[PAIR]] : vector<2xbf16> to vector<1xi32>
// CHECK: %[[BCAST:.*]] = vector.broadcast %[[WORD]] : vector<1xi32> to vector<16xi32>
// CHECK: %[[A:.*]] = vector.bitcast %[[BCAST]] : vector<16xi32> to vector<32xbf16>
// CHECK: x86.avx512.dot %{{.*}}, %[[A]], %[[B0]] : vector<32xbf16> -> vector<16xf32>
// CHECK: x86.avx512.dot %{{.*}}, %[[A]], %[[B1]] : vector<32xbf16> -> vector<16xf32>
// CHECK-NOT: vector.contract
// CHECK-NOT: vector.fma
// CHECK: return
// LLVM-LABEL: llvm.func @mm
// LLVM: llvm.call_intrinsic "llvm.x86.avx512bf16.dpbf16ps.512"
// The f32 pipeline keeps its FMAs.
// F32-LABEL: func.func @mm
// F32-NOT: bf16
// F32: vector.fma
// ERR: precision 'bf16' needs AVX512-BF16 dot products (vdpbf16ps: the CPU flag avx512_bf16, 16 f32 lanes); this target has no avx512_bf16
func.func @mm(%a: tensor<8x64xf32>, %b: tensor<64x32xf32>) -> tensor<8x32xf32> {
  %z = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x32xf32>
  %c = linalg.fill ins(%z : f32) outs(%e : tensor<8x32xf32>) -> tensor<8x32xf32>
  %r = linalg.matmul ins(%a, %b : tensor<8x64xf32>, tensor<64x32xf32>) outs(%c : tensor<8x32xf32>) -> tensor<8x32xf32>
  return %r : tensor<8x32xf32>
}
