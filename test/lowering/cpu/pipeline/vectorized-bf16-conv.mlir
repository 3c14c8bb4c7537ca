// RUN: kiln-opt %S/Inputs/two-convs-nchw.mlir --kiln-pipeline=cpu --kiln-vector-width=16 --kiln-precision=bf16 --kiln-avx512-bf16 --stop-after=vectorized | FileCheck %s
// RUN: kiln-opt %S/Inputs/two-convs-nchw.mlir --kiln-pipeline=cpu --kiln-vector-width=16 --kiln-precision=bf16 --kiln-avx512-bf16 | FileCheck %s --check-prefix=LLVM
// RUN: kiln-opt %S/Inputs/two-convs-nchw.mlir --kiln-pipeline=cpu --kiln-vector-width=16 --stop-after=vectorized | FileCheck %s --check-prefix=F32

// Level `vectorized` for convolutions in bf16: the RGB input, padded with a zero
// channel, is converted to bf16 pixel by pixel (4 channels: two pairs) into the
// spatially padded buffer; the filters are bf16 and packed with input-channel pairs interleaved,
// P[kh][kw][F/32][C/2][32][2]; each 4-pixel x 32-channel block reads a panel row
// as two vector<32xbf16>, broadcasts each pixel's channel pair as one 32-bit word
// and takes 4 x 2 vdpbf16ps per pair (2 pairs: 16 per tap); the ReLU epilogue writes bf16 for the
// second convolution (1x1, 32 channels: 16 pairs, 128 dots per block), whose
// stride 2 reads every second pixel of its tile.
// CHECK-LABEL: func.func @two_convs
// CHECK: arith.truncf %{{.*}} : vector<4xf32> to vector<4xbf16>
// CHECK: tensor.insert_slice %{{.*}} into %{{.*}}[0, 1, 1, 0] [1, 8, 8, 4] [1, 1, 1, 1] : tensor<1x8x8x4xbf16> into tensor<1x10x10x4xbf16>
// CHECK: %[[W1:.*]] = tensor.extract_slice %{{.*}} [1, 1, 1, 2, 32, 2] [1, 1, 1, 1, 1, 1] : tensor<3x3x1x2x32x2xbf16> to tensor<2x32x2xbf16>
// CHECK: %[[ROW1:.*]] = tensor.collapse_shape %[[W1]] {{\[}}[0], [1, 2]] : tensor<2x32x2xbf16> into tensor<2x64xbf16>
// CHECK: %[[B0:.*]] = vector.transfer_read %[[ROW1]][%{{.*}}, %{{.*}}], %{{.*}} {in_bounds = [true]} : tensor<2x64xbf16>, vector<32xbf16>
// CHECK: %[[B1:.*]] = vector.transfer_read %[[ROW1]][%{{.*}}, %c32], %{{.*}} {in_bounds = [true]} : tensor<2x64xbf16>, vector<32xbf16>
// CHECK: %[[PAIR:.*]] = vector.transfer_read %{{.*}} : tensor<4x2x2xbf16>, vector<2xbf16>
// CHECK: %[[WORD:.*]] = vector.bitcast %[[PAIR]] : vector<2xbf16> to vector<1xi32>
// CHECK: %[[BCAST:.*]] = vector.broadcast %[[WORD]] : vector<1xi32> to vector<16xi32>
// CHECK: %[[A:.*]] = vector.bitcast %[[BCAST]] : vector<16xi32> to vector<32xbf16>
// CHECK: x86.avx512.dot %{{.*}}, %[[A]], %[[B0]] : vector<32xbf16> -> vector<16xf32>
// CHECK: x86.avx512.dot %{{.*}}, %[[A]], %[[B1]] : vector<32xbf16> -> vector<16xf32>
// CHECK-COUNT-14: x86.avx512.dot
// CHECK: arith.maximumf %{{.*}} : vector<4x32xf32>
// CHECK: arith.truncf %{{.*}} : vector<4x32xf32> to vector<4x32xbf16>
// CHECK: tensor<1x1x1x16x32x2xbf16> to tensor<16x32x2xbf16>
// CHECK: tensor.extract_slice %{{.*}}[0, 0, 0] [1, 4, 32] [1, 2, 1] : tensor<1x7x32xbf16> to tensor<4x32xbf16>
// CHECK-COUNT-128: x86.avx512.dot
// CHECK-NOT: x86.avx512.dot
// CHECK-NOT: vector.fma
// CHECK-NOT: linalg.conv
// CHECK: return
// LLVM-LABEL: llvm.func @two_convs
// LLVM: llvm.call_intrinsic "llvm.x86.avx512bf16.dpbf16ps.512"
// The f32 pipeline keeps f32 convolutions (FMAs, f32 filters).
// F32-LABEL: func.func @two_convs
// F32-NOT: bf16
// F32: vector.fma
// F32-NOT: bf16
