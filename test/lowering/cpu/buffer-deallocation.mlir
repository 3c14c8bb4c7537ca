// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-buffer-deallocation)' | FileCheck %s

// A per-thread scratch buffer (and its views) used only in the forall body is freed
// at the end of the body, after its last use.
// CHECK-LABEL: func.func @per_thread
// CHECK: scf.forall
// CHECK-NEXT: %[[TMP:.*]] = memref.alloc() : memref<2x8xf32>
// CHECK: %[[ROW:.*]] = memref.subview %[[TMP]]
// CHECK: linalg.fill {{.*}}outs(%[[ROW]]
// CHECK: memref.copy %[[ROW]]
// CHECK-NEXT: memref.dealloc %[[TMP]] : memref<2x8xf32>
// CHECK-NEXT: }
// CHECK-NEXT: return
func.func @per_thread(%out: memref<4x8xf32>) {
  %c0 = arith.constant 0.0 : f32
  scf.forall (%i) in (4) {
    %tmp = memref.alloc() : memref<2x8xf32>
    %row = memref.subview %tmp[0, 0] [1, 8] [1, 1] : memref<2x8xf32> to memref<1x8xf32, strided<[8, 1]>>
    linalg.fill ins(%c0 : f32) outs(%row : memref<1x8xf32, strided<[8, 1]>>)
    %dst = memref.subview %out[%i, 0] [1, 8] [1, 1] : memref<4x8xf32> to memref<1x8xf32, strided<[8, 1], offset: ?>>
    memref.copy %row, %dst : memref<1x8xf32, strided<[8, 1]>> to memref<1x8xf32, strided<[8, 1], offset: ?>>
  }
  return
}

// -----

// A dynamically sized temporary of the function body: freed before the return; the
// identical constants are merged (the CSE upstream's pipeline ends with).
// CHECK-LABEL: func.func @dynamic
// CHECK-COUNT-1: arith.constant
// CHECK-NOT: arith.constant
// CHECK: %[[TMP:.*]] = memref.alloc(%{{.*}}) : memref<?xf32>
// CHECK: memref.copy %[[TMP]]
// CHECK-NEXT: memref.dealloc %[[TMP]] : memref<?xf32>
// CHECK-NEXT: return
func.func @dynamic(%n: index, %out: memref<?xf32>) {
  %one = arith.constant 1.0 : f32
  %tmp = memref.alloc(%n) : memref<?xf32>
  linalg.fill ins(%one : f32) outs(%tmp : memref<?xf32>)
  %same = arith.constant 1.0 : f32
  linalg.fill ins(%same : f32) outs(%out : memref<?xf32>)
  memref.copy %tmp, %out : memref<?xf32> to memref<?xf32>
  return
}

// -----

// Yielded out of its block: not local, so upstream's ownership-based pipeline runs
// (it frees the buffer after the if, only when the branch that made it was taken).
// CHECK-LABEL: func.func @escapes_through_if
// CHECK: %[[R:.*]] = scf.if
// CHECK: memref.alloc()
// CHECK: scf.yield
// CHECK: memref.copy %[[R]]
// CHECK: %[[BASE:.*]], %{{.*}}, %{{.*}}, %{{.*}} = memref.extract_strided_metadata %[[R]]
// CHECK: scf.if
// CHECK-NEXT: memref.dealloc %[[BASE]]
// CHECK-NOT: bufferization.dealloc
func.func @escapes_through_if(%c: i1, %a: memref<8xf32>, %out: memref<8xf32>) {
  %r = scf.if %c -> memref<8xf32> {
    %tmp = memref.alloc() : memref<8xf32>
    memref.copy %a, %tmp : memref<8xf32> to memref<8xf32>
    scf.yield %tmp : memref<8xf32>
  } else {
    scf.yield %a : memref<8xf32>
  }
  memref.copy %r, %out : memref<8xf32> to memref<8xf32>
  return
}

// -----

// A returned buffer belongs to the caller (dynamic shapes): upstream's pipeline runs
// and does not free it.
// CHECK-LABEL: func.func @returned
// CHECK: %[[TMP:.*]] = memref.alloc
// CHECK-NOT: memref.dealloc
// CHECK: return %[[TMP]]
func.func @returned(%n: index) -> memref<?xf32> {
  %tmp = memref.alloc(%n) : memref<?xf32>
  return %tmp : memref<?xf32>
}
