// --list-passes lists every kiln pass (sorted by name) with its summary and
// its options, then the pipelines.
// RUN: kiln-opt --list-passes | FileCheck %s

// CHECK: kiln passes:
// CHECK: kiln-approximate-math: Replace f32 exp, tanh and erf
// CHECK-NEXT: functions=('exp', 'tanh', 'erf')
// CHECK: kiln-block-epilogues: Rewrite elementwise consumers of blocked contractions
// CHECK: kiln-bufferize-tm-tensor: Bufferize tm_tensor ops
// CHECK: kiln-copy-to-linalg: Rewrite strided memref.copy ops as linalg.copy
// CHECK: kiln-fold-constant-layout: Fold transposes, reshapes, pads and elementwise math of constants
// CHECK-NEXT: max-elements=67108864 (int)
// CHECK: kiln-form-fusion-groups: Group each blocked contraction
// CHECK: kiln-fuse-elementwise: Fuse producer/consumer chains of elementwise linalg ops
// CHECK: kiln-hoist-vector-transfers: Hoist loop-invariant vector transfers
// CHECK: kiln-pack-contractions: Rewrite contractions into mr x nr register-block form
// CHECK-NEXT: vector-width=8 (int)
// CHECK: kiln-select-to-minmax: Rewrite compare-and-select of two floats
// CHECK: kiln-static-buffers: Replace static-shape allocations in entry functions
// CHECK: kiln-tile-and-fuse: Tile-and-fuse fusion groups and tile standalone ops
// CHECK-NEXT: threads=1 (int)
// CHECK: kiln-vectorize: Vectorize marked tiles
// CHECK: kiln-verify-llvm: Fail, at each op's location, if anything but LLVM
// CHECK: kiln pipelines: cpu
