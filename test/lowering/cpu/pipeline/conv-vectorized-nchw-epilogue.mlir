// RUN: kiln-opt %S/Inputs/conv-bn-relu-nchw.mlir --kiln-pipeline=cpu --kiln-threads=2 --kiln-vector-width=8 --stop-after=vectorized | FileCheck %s
// Regression (fixed): the level invariant "no linalg op is left" fails for a network's last
// conv: its BatchNorm/relu epilogue, fused with the transpose back to NCHW, is
// a standalone generic with [C,1,1] operands indexed (d1, 0, 0), which
// kiln-tile-and-fuse does not tile (see
// test/lowering/cpu/tile-and-fuse-broadcast-maps.mlir), so it stays a scalar loop
// nest outside any scf.forall.

// CHECK-LABEL: func.func @conv_bn_relu
// CHECK-NOT: linalg.
// CHECK: return
