// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-vectorize-copies{threads=2 min-parallel-iterations=1})' | FileCheck %s
// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-vectorize-copies{threads=2 min-parallel-iterations=1}, kiln-vectorize, canonicalize)' | FileCheck %s --check-prefix=VEC
// RUN: not kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-vectorize-copies{threads=0})' 2>&1 | FileCheck %s --check-prefix=ERR

// The copy of an activation into the interior of its padded buffer (a
// strided subview), as one-shot bufferization leaves it: rows split across
// the 2 threads, then one 16-wide row per innermost copy, marked for
// kiln-vectorize; kiln-vectorize makes it a vector read and write.
// CHECK-LABEL: func.func @copy_into_padded
// CHECK-SAME: (%[[SRC:.*]]: memref<1x8x8x16xf32>, %[[DST:.*]]: memref<1x10x10x16xf32>)
// CHECK: %[[INTERIOR:.*]] = memref.subview %[[DST]][0, 1, 1, 0] [1, 8, 8, 16]
// CHECK: scf.forall (%[[T:.*]]) in (2) {
// CHECK: %[[ROW0:.*]] = affine.apply #{{.*}}(%[[T]])
// CHECK: %[[SRC_ROWS:.*]] = memref.subview %[[SRC]][0, %[[ROW0]], 0, 0] [1, 4, 8, 16]
// CHECK: %[[DST_ROWS:.*]] = memref.subview %[[INTERIOR]][0, %[[ROW0]], 0, 0] [1, 4, 8, 16]
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for
// CHECK: %[[S:.*]] = memref.subview %[[SRC_ROWS]]{{.*}} [1, 1, 1, 16]
// CHECK: %[[D:.*]] = memref.subview %[[DST_ROWS]]{{.*}} [1, 1, 1, 16]
// CHECK: linalg.copy {{{.*}}kiln.vectorize} ins(%[[S]] : memref<1x1x1x16xf32, {{.*}}>) outs(%[[D]] : memref<1x1x1x16xf32, {{.*}}>)
// CHECK-NOT: linalg.copy
// CHECK: return
// VEC-LABEL: func.func @copy_into_padded
// VEC-NOT: linalg.copy
// VEC: scf.forall
// VEC: %[[V:.*]] = vector.transfer_read {{.*}} : memref<1x1x1x16xf32, {{.*}}>, vector<16xf32>
// VEC: vector.transfer_write %[[V]], {{.*}} : vector<16xf32>, memref<1x1x1x16xf32, {{.*}}>
// VEC-NOT: linalg.copy
func.func @copy_into_padded(%src: memref<1x8x8x16xf32>, %dst: memref<1x10x10x16xf32>) {
  %interior = memref.subview %dst[0, 1, 1, 0] [1, 8, 8, 16] [1, 1, 1, 1] : memref<1x10x10x16xf32> to memref<1x8x8x16xf32, strided<[1600, 160, 16, 1], offset: 176>>
  linalg.copy ins(%src : memref<1x8x8x16xf32>) outs(%interior : memref<1x8x8x16xf32, strided<[1600, 160, 16, 1], offset: 176>>)
  return
}

// -----

// A fill of a buffer (a padded buffer's border value) is scheduled the same way.
// CHECK-LABEL: func.func @fill_buffer
// CHECK: scf.forall (%{{.*}}) in (2) {
// CHECK: memref.subview %{{.*}} [4, 20] [1, 1]
// CHECK: scf.for
// CHECK: scf.for
// CHECK: linalg.fill {{{.*}}kiln.vectorize} ins(%{{.*}} : f32) outs(%{{.*}} : memref<1x20xf32, {{.*}}>)
// VEC-LABEL: func.func @fill_buffer
// VEC-NOT: linalg.fill
// VEC: vector.transfer_write {{.*}} : vector<20xf32>, memref<1x20xf32, {{.*}}>
func.func @fill_buffer(%dst: memref<8x20xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill ins(%zero : f32) outs(%dst : memref<8x20xf32>)
  return
}

// -----

// Must not change: a dynamically shaped copy, and a copy already inside a loop.
// CHECK-LABEL: func.func @copy_dynamic
// CHECK-NOT: scf.forall
// CHECK-NOT: kiln.vectorize
// CHECK: linalg.copy ins(%{{.*}} : memref<?x16xf32>) outs(%{{.*}} : memref<?x16xf32>)
// CHECK-NEXT: return
func.func @copy_dynamic(%src: memref<?x16xf32>, %dst: memref<?x16xf32>) {
  linalg.copy ins(%src : memref<?x16xf32>) outs(%dst : memref<?x16xf32>)
  return
}

// -----

// CHECK-LABEL: func.func @copy_in_loop
// CHECK-NOT: scf.forall
// CHECK: scf.for
// CHECK-NEXT: linalg.copy ins(%{{.*}} : memref<4x16xf32>) outs(%{{.*}} : memref<4x16xf32>)
// CHECK-NOT: kiln.vectorize
func.func @copy_in_loop(%src: memref<4x16xf32>, %dst: memref<4x16xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  scf.for %i = %c0 to %c4 step %c1 {
    linalg.copy ins(%src : memref<4x16xf32>) outs(%dst : memref<4x16xf32>)
  }
  return
}

// ERR: error: kiln-vectorize-copies: threads must be >= 1, got 0
