// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-copy-to-linalg)' | FileCheck %s
// RUN: not kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-copy-to-linalg{all=true})' 2>&1 | FileCheck %s --check-prefix=ERR

// A copy out of a strided view becomes linalg.copy (loops, not a call to the
// runtime's memrefCopy).
// CHECK-LABEL: func.func @strided_source
// CHECK-SAME: (%[[SRC:.*]]: memref<8x16xf32>, %[[DST:.*]]: memref<4x8xf32>)
// CHECK: %[[VIEW:.*]] = memref.subview %[[SRC]][2, 4] [4, 8] [1, 1]
// CHECK-NOT: memref.copy
// CHECK: linalg.copy {{.*}}ins(%[[VIEW]] : memref<4x8xf32, strided<[16, 1], offset: 36>>) outs(%[[DST]] : memref<4x8xf32>)
// CHECK-NOT: memref.copy
func.func @strided_source(%src: memref<8x16xf32>, %dst: memref<4x8xf32>) {
  %view = memref.subview %src[2, 4] [4, 8] [1, 1] : memref<8x16xf32> to memref<4x8xf32, strided<[16, 1], offset: 36>>
  memref.copy %view, %dst : memref<4x8xf32, strided<[16, 1], offset: 36>> to memref<4x8xf32>
  return
}

// -----

// Same for a copy into a strided view.
// CHECK-LABEL: func.func @strided_destination
// CHECK-SAME: (%[[SRC:.*]]: memref<4x8xf32>, %[[DST:.*]]: memref<8x16xf32>)
// CHECK: %[[VIEW:.*]] = memref.subview %[[DST]]
// CHECK-NOT: memref.copy
// CHECK: linalg.copy {{.*}}ins(%[[SRC]] : memref<4x8xf32>) outs(%[[VIEW]] : memref<4x8xf32, strided<[16, 1], offset: 8>>)
func.func @strided_destination(%src: memref<4x8xf32>, %dst: memref<8x16xf32>) {
  %view = memref.subview %dst[0, 8] [4, 8] [1, 1] : memref<8x16xf32> to memref<4x8xf32, strided<[16, 1], offset: 8>>
  memref.copy %src, %view : memref<4x8xf32> to memref<4x8xf32, strided<[16, 1], offset: 8>>
  return
}

// -----

// Must not change: contiguous copies (static or dynamic shape) lower to memcpy.
// CHECK-LABEL: func.func @contiguous
// CHECK-SAME: (%[[SRC:.*]]: memref<4x8xf32>, %[[DST:.*]]: memref<4x8xf32>)
// CHECK: memref.copy %[[SRC]], %[[DST]] : memref<4x8xf32> to memref<4x8xf32>
// CHECK-NOT: linalg.copy
// CHECK-LABEL: func.func @contiguous_dynamic
// CHECK: memref.copy %{{.*}}, %{{.*}} : memref<?x8xf32> to memref<?x8xf32>
// CHECK-NOT: linalg.copy
func.func @contiguous(%src: memref<4x8xf32>, %dst: memref<4x8xf32>) {
  memref.copy %src, %dst : memref<4x8xf32> to memref<4x8xf32>
  return
}
func.func @contiguous_dynamic(%src: memref<?x8xf32>, %dst: memref<?x8xf32>) {
  memref.copy %src, %dst : memref<?x8xf32> to memref<?x8xf32>
  return
}

// ERR: error: pass 'kiln-copy-to-linalg' has no option 'all'
