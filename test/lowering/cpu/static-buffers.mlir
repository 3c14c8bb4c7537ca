// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-static-buffers)' | FileCheck %s
// RUN: not kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-static-buffers{max-bytes=1024})' 2>&1 | FileCheck %s --check-prefix=ERR

// A static temporary of an entry function becomes a private, uninitialized,
// 64-byte aligned global, allocated once at load time.
// CHECK: memref.global "private" @[[$BUF:__kiln_buffer_[0-9]+]] : memref<8x16xf32> = uninitialized {alignment = 64 : i64}
// CHECK-LABEL: func.func @entry
// CHECK-SAME: (%[[X:.*]]: memref<8x16xf32>, %[[OUT:.*]]: memref<8x16xf32>)
// CHECK-NOT: memref.alloc
// CHECK: %[[TMP:.*]] = memref.get_global @[[$BUF]] : memref<8x16xf32>
// CHECK: linalg.copy {{.*}}ins(%[[X]] : memref<8x16xf32>) outs(%[[TMP]] : memref<8x16xf32>)
// CHECK: linalg.copy {{.*}}ins(%[[TMP]] : memref<8x16xf32>) outs(%[[OUT]] : memref<8x16xf32>)
func.func @entry(%x: memref<8x16xf32>, %out: memref<8x16xf32>) {
  %tmp = memref.alloc() : memref<8x16xf32>
  linalg.copy ins(%x : memref<8x16xf32>) outs(%tmp : memref<8x16xf32>)
  linalg.copy ins(%tmp : memref<8x16xf32>) outs(%out : memref<8x16xf32>)
  return
}

// -----

// Must not change: dynamic shapes, allocations inside loops (not in the entry
// block), and private (non-entry) functions keep memref.alloc.
// CHECK-NOT: memref.global
// CHECK-LABEL: func.func @dynamic
// CHECK: memref.alloc(%{{.*}}) : memref<?x16xf32>
// CHECK-LABEL: func.func @in_loop
// CHECK: scf.for
// CHECK-NEXT: memref.alloc() : memref<16xf32>
// CHECK-LABEL: func.func private @helper
// CHECK: memref.alloc() : memref<8x16xf32>
// CHECK-NOT: memref.get_global
func.func @dynamic(%n: index) {
  %tmp = memref.alloc(%n) : memref<?x16xf32>
  memref.dealloc %tmp : memref<?x16xf32>
  return
}
func.func @in_loop(%n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  scf.for %i = %c0 to %n step %c1 {
    %tmp = memref.alloc() : memref<16xf32>
    memref.dealloc %tmp : memref<16xf32>
  }
  return
}
func.func private @helper() {
  %tmp = memref.alloc() : memref<8x16xf32>
  memref.dealloc %tmp : memref<8x16xf32>
  return
}

// ERR: error: pass 'kiln-static-buffers' has no option 'max-bytes'
