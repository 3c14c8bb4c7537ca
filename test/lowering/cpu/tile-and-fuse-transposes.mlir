// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-tile-and-fuse{threads=1 vector-width=16})' | FileCheck %s
// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-tile-and-fuse{threads=1 vector-width=16}, canonicalize, cse, kiln-vectorize)' | FileCheck %s --check-prefix=VEC

// An op reading its input transposed gets a 2-D vector tile: 16 rows of the input
// (contiguous 16-float reads) x 16 lanes of the output, transposed in registers.
// A 1 x 64 tile read one element per lane down a column (a 1024 x 1024 transpose at
// 2.5 GB/s; with the 2-D tile 23 GB/s).
// CHECK-LABEL: func.func @transpose_add
// CHECK: scf.for
// CHECK: scf.for
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}} : tensor<16x16xf32>) outs(%{{.*}} : tensor<16x16xf32>)
// CHECK-SAME: kiln.vectorize
// VEC-LABEL: func.func @transpose_add
// VEC: vector.transfer_read {{.*}} : tensor<16x16xf32>, vector<16x16xf32>
// VEC: vector.transpose
// VEC: vector.transfer_write {{.*}} : vector<16x16xf32>, tensor<16x16xf32>
#t = affine_map<(d0, d1) -> (d1, d0)>
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @transpose_add(%x: tensor<1024x1024xf32>) -> tensor<1024x1024xf32> {
  %one = arith.constant 1.0 : f32
  %e = tensor.empty() : tensor<1024x1024xf32>
  %r = linalg.generic {indexing_maps = [#t, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<1024x1024xf32>) outs(%e : tensor<1024x1024xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %one : f32
    linalg.yield %s : f32
  } -> tensor<1024x1024xf32>
  return %r : tensor<1024x1024xf32>
}

// -----

// NHWC -> NCHW of 56 x 56 x 256: 16 channels (the input's last dim) x 8 columns (56 is
// no multiple of 16).
// CHECK-LABEL: func.func @nhwc_to_nchw
// CHECK: linalg.transpose
// CHECK-SAME: ins(%{{.*}} : tensor<1x1x8x16xf32>) outs(%{{.*}} : tensor<1x16x1x8xf32>)
func.func @nhwc_to_nchw(%x: tensor<1x56x56x256xf32>) -> tensor<1x256x56x56xf32> {
  %e = tensor.empty() : tensor<1x256x56x56xf32>
  %r = linalg.transpose ins(%x : tensor<1x56x56x256xf32>) outs(%e : tensor<1x256x56x56xf32>) permutation = [0, 3, 1, 2]
  return %r : tensor<1x256x56x56xf32>
}

// -----

// Reading at the identity: the 1-D tile along the last loop, as before.
// CHECK-LABEL: func.func @identity
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}} : tensor<1x64xf32>) outs(%{{.*}} : tensor<1x64xf32>)
#i2 = affine_map<(d0, d1) -> (d0, d1)>
func.func @identity(%x: tensor<256x256xf32>) -> tensor<256x256xf32> {
  %e = tensor.empty() : tensor<256x256xf32>
  %r = linalg.generic {indexing_maps = [#i2, #i2], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<256x256xf32>) outs(%e : tensor<256x256xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.mulf %a, %a : f32
    linalg.yield %s : f32
  } -> tensor<256x256xf32>
  return %r : tensor<256x256xf32>
}
