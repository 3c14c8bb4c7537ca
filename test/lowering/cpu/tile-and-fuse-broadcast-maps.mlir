// RUN: kiln-opt %s --pass-pipeline='builtin.module(kiln-tile-and-fuse{threads=2 vector-width=8 min-parallel-iterations=1})' | FileCheck %s
// Regression (fixed): _plan_standalone rejects a generic when map_dims() returns None, and
// map_dims() returns None for a constant 0 result, so a per-channel operand of
// type [C, 1, 1] indexed (d1, 0, 0) -- how torch-mlir broadcasts BatchNorm and
// bias constants -- is treated like an im2col gather: the op gets no thread
// split and no vector tiles and runs as one scalar loop nest on one thread.
// Inside a fusion group the same maps are tiled and vectorized; a standalone
// op meets them when a conv epilogue is fused with the transpose back to NCHW
// (the last layer of a network). Constant-0 results should count as
// projected-permutation broadcasts.

#nhwc_to_nchw = affine_map<(d0, d1, d2, d3) -> (d0, d2, d3, d1)>
#chan = affine_map<(d0, d1, d2, d3) -> (d1, 0, 0)>
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>

// CHECK-LABEL: func.func @channel_affine_relu
// CHECK: scf.forall (%{{.*}}) in (2)
// CHECK: scf.for
// CHECK: linalg.generic
// CHECK-SAME: kiln.vectorize
// CHECK: arith.mulf
// CHECK: scf.forall.in_parallel
func.func @channel_affine_relu(%x: tensor<1x8x8x16xf32>, %scale: tensor<16x1x1xf32>, %shift: tensor<16x1x1xf32>) -> tensor<1x16x8x8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<1x16x8x8xf32>
  %r = linalg.generic {indexing_maps = [#nhwc_to_nchw, #chan, #chan, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%x, %scale, %shift : tensor<1x8x8x16xf32>, tensor<16x1x1xf32>, tensor<16x1x1xf32>) outs(%e : tensor<1x16x8x8xf32>) {
  ^bb0(%v: f32, %s: f32, %b: f32, %o: f32):
    %m = arith.mulf %v, %s : f32
    %a = arith.addf %m, %b : f32
    %y = arith.maximumf %a, %zero : f32
    linalg.yield %y : f32
  } -> tensor<1x16x8x8xf32>
  return %r : tensor<1x16x8x8xf32>
}
