// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-forward-slice-copies)' | FileCheck %s

#id = affine_map<(d0, d1) -> (d0, d1)>

// A two-result op as one-shot bufferization leaves it (Winograd's transforms): the
// first result in place in slice 0, the second in a temporary copied into slice 1.
// The op now writes slice 1 itself: no temporary, no copy.
// CHECK-LABEL: func.func @multi_result_slices
// CHECK: %[[FULL:.*]] = memref.alloc() {{.*}} : memref<2x4x8xf32>
// CHECK: %[[S0:.*]] = memref.subview %[[FULL]][0, 0, 0]
// CHECK: %[[S1:.*]] = memref.subview %[[FULL]][1, 0, 0] [1, 4, 8] [1, 1, 1] : memref<2x4x8xf32> to memref<4x8xf32, strided<[8, 1], offset: 32>>
// CHECK: linalg.generic {{.*}} outs(%[[S0]], %[[S1]] :
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.copy
// CHECK: return %[[FULL]]
func.func @multi_result_slices(%x: memref<4x8xf32>) -> memref<2x4x8xf32> {
  %full = memref.alloc() {alignment = 64 : i64} : memref<2x4x8xf32>
  %s0 = memref.subview %full[0, 0, 0] [1, 4, 8] [1, 1, 1] : memref<2x4x8xf32> to memref<4x8xf32, strided<[8, 1]>>
  %t = memref.alloc() {alignment = 64 : i64} : memref<4x8xf32>
  linalg.generic {indexing_maps = [#id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : memref<4x8xf32>) outs(%s0, %t : memref<4x8xf32, strided<[8, 1]>>, memref<4x8xf32>) {
  ^bb0(%a: f32, %o0: f32, %o1: f32):
    %n = arith.negf %a : f32
    linalg.yield %a, %n : f32, f32
  }
  %s1 = memref.subview %full[1, 0, 0] [1, 4, 8] [1, 1, 1] : memref<2x4x8xf32> to memref<4x8xf32, strided<[8, 1], offset: 32>>
  memref.copy %t, %s1 : memref<4x8xf32> to memref<4x8xf32, strided<[8, 1], offset: 32>>
  return %full : memref<2x4x8xf32>
}

// -----

// The temporary is written inside a loop through subviews with dynamic offsets
// (their types do not change): forwarded.
// CHECK-LABEL: func.func @written_in_loop
// CHECK: %[[FULL:.*]] = memref.alloc() : memref<3x8xf32>
// CHECK: %[[S:.*]] = memref.subview %[[FULL]][2, 0] [1, 8] [1, 1]
// CHECK: scf.for
// CHECK: memref.subview %[[S]][%{{.*}}] [4] [1]
// CHECK-NOT: memref.copy
func.func @written_in_loop(%v: vector<4xf32>) -> memref<3x8xf32> {
  %c0 = arith.constant 0 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %full = memref.alloc() : memref<3x8xf32>
  %t = memref.alloc() : memref<8xf32>
  scf.for %i = %c0 to %c8 step %c4 {
    %w = memref.subview %t[%i] [4] [1] : memref<8xf32> to memref<4xf32, strided<[1], offset: ?>>
    vector.transfer_write %v, %w[%c0] {in_bounds = [true]} : vector<4xf32>, memref<4xf32, strided<[1], offset: ?>>
  }
  %s = memref.subview %full[2, 0] [1, 8] [1, 1] : memref<3x8xf32> to memref<8xf32, strided<[1], offset: 16>>
  memref.copy %t, %s : memref<8xf32> to memref<8xf32, strided<[1], offset: 16>>
  return %full : memref<3x8xf32>
}

// -----

// Must not change: the slice's old contents are read while the temporary is
// written (forwarding would overwrite them first).
// CHECK-LABEL: func.func @slice_read_before_copy
// CHECK: %[[T:.*]] = memref.alloc() : memref<8xf32>
// CHECK: linalg.fill {{.*}} outs(%[[T]] :
// CHECK: memref.copy %[[T]],
func.func @slice_read_before_copy(%out: memref<8xf32>) -> memref<2x8xf32> {
  %zero = arith.constant 0.0 : f32
  %full = memref.alloc() : memref<2x8xf32>
  %t = memref.alloc() : memref<8xf32>
  linalg.fill ins(%zero : f32) outs(%t : memref<8xf32>)
  %old = memref.subview %full[1, 0] [1, 8] [1, 1] : memref<2x8xf32> to memref<8xf32, strided<[1], offset: 8>>
  memref.copy %old, %out : memref<8xf32, strided<[1], offset: 8>> to memref<8xf32>
  %s = memref.subview %full[1, 0] [1, 8] [1, 1] : memref<2x8xf32> to memref<8xf32, strided<[1], offset: 8>>
  memref.copy %t, %s : memref<8xf32> to memref<8xf32, strided<[1], offset: 8>>
  return %full : memref<2x8xf32>
}

// -----

// Must not change: the temporary is read after the copy, and a slice with other
// strides than the temporary's (its users' types would change).
// CHECK-LABEL: func.func @used_after_copy
// CHECK: memref.copy %[[T:.*]], %{{.*}}
// CHECK: memref.copy %[[T]], %arg0
// CHECK-LABEL: func.func @strided_slice
// CHECK: memref.copy
func.func @used_after_copy(%out: memref<8xf32>) -> memref<2x8xf32> {
  %zero = arith.constant 0.0 : f32
  %full = memref.alloc() : memref<2x8xf32>
  %t = memref.alloc() : memref<8xf32>
  linalg.fill ins(%zero : f32) outs(%t : memref<8xf32>)
  %s = memref.subview %full[1, 0] [1, 8] [1, 1] : memref<2x8xf32> to memref<8xf32, strided<[1], offset: 8>>
  memref.copy %t, %s : memref<8xf32> to memref<8xf32, strided<[1], offset: 8>>
  memref.copy %t, %out : memref<8xf32> to memref<8xf32>
  return %full : memref<2x8xf32>
}

func.func @strided_slice() -> memref<8x2xf32> {
  %zero = arith.constant 0.0 : f32
  %full = memref.alloc() : memref<8x2xf32>
  %t = memref.alloc() : memref<8xf32>
  linalg.fill ins(%zero : f32) outs(%t : memref<8xf32>)
  %s = memref.subview %full[0, 1] [8, 1] [1, 1] : memref<8x2xf32> to memref<8xf32, strided<[2], offset: 1>>
  memref.copy %t, %s : memref<8xf32> to memref<8xf32, strided<[2], offset: 1>>
  return %full : memref<8x2xf32>
}

// -----

// Two temporaries copied into the same slice, the later-written one copied first.
// Forwarding the first copy makes its fill write the slice inside the second
// copy's window (after %t2's fill, before its copy): the second copy must stay,
// or %t1's zeros would land last where %t2's ones belong.
// CHECK-LABEL: func.func @forwarded_write_blocks_later_copy
// CHECK-DAG: %[[ZERO:.*]] = arith.constant 0.0
// CHECK-DAG: %[[ONE:.*]] = arith.constant 1.0
// CHECK: %[[FULL:.*]] = memref.alloc() : memref<2x8xf32>
// CHECK: %[[T2:.*]] = memref.alloc() : memref<8xf32>
// CHECK: linalg.fill ins(%[[ONE]] : f32) outs(%[[T2]] :
// CHECK: %[[S1:.*]] = memref.subview %[[FULL]][1, 0]
// CHECK: linalg.fill ins(%[[ZERO]] : f32) outs(%[[S1]] :
// CHECK: memref.copy %[[T2]],
func.func @forwarded_write_blocks_later_copy() -> memref<2x8xf32> {
  %zero = arith.constant 0.0 : f32
  %one = arith.constant 1.0 : f32
  %full = memref.alloc() : memref<2x8xf32>
  %t2 = memref.alloc() : memref<8xf32>
  %t1 = memref.alloc() : memref<8xf32>
  linalg.fill ins(%one : f32) outs(%t2 : memref<8xf32>)
  linalg.fill ins(%zero : f32) outs(%t1 : memref<8xf32>)
  %s1 = memref.subview %full[1, 0] [1, 8] [1, 1] : memref<2x8xf32> to memref<8xf32, strided<[1], offset: 8>>
  memref.copy %t1, %s1 : memref<8xf32> to memref<8xf32, strided<[1], offset: 8>>
  %s2 = memref.subview %full[1, 0] [1, 8] [1, 1] : memref<2x8xf32> to memref<8xf32, strided<[1], offset: 8>>
  memref.copy %t2, %s2 : memref<8xf32> to memref<8xf32, strided<[1], offset: 8>>
  return %full : memref<2x8xf32>
}

// -----

// Two temporaries copied in turn into the same slice (s3d's 3-D convolutions): the
// first copy is erased once forwarded and must leave the root's accesses with it (it
// stayed listed, through the forwarded slice, and the second copy's check read the
// erased op: a segfault). Both are forwarded, in order: the second write still wins.
// CHECK-LABEL: func.func @same_slice_twice
// CHECK: %[[FULL:.*]] = memref.alloc() : memref<2x8xf32>
// CHECK: %[[A:.*]] = memref.subview %[[FULL]][1, 0] [1, 8] [1, 1]
// CHECK: vector.transfer_write %[[V:.*]], %[[A]]
// CHECK: vector.transfer_write %[[W:.*]], %{{.*}} : vector<8xf32>, memref<8xf32, strided<[1], offset: 8>>
// CHECK-NOT: memref.copy
// CHECK: return %[[FULL]]
func.func @same_slice_twice(%v: vector<8xf32>, %w: vector<8xf32>) -> memref<2x8xf32> {
  %c0 = arith.constant 0 : index
  %full = memref.alloc() : memref<2x8xf32>
  %t1 = memref.alloc() : memref<8xf32>
  vector.transfer_write %v, %t1[%c0] {in_bounds = [true]} : vector<8xf32>, memref<8xf32>
  %s1 = memref.subview %full[1, 0] [1, 8] [1, 1] : memref<2x8xf32> to memref<8xf32, strided<[1], offset: 8>>
  memref.copy %t1, %s1 : memref<8xf32> to memref<8xf32, strided<[1], offset: 8>>
  %t2 = memref.alloc() : memref<8xf32>
  vector.transfer_write %w, %t2[%c0] {in_bounds = [true]} : vector<8xf32>, memref<8xf32>
  %s2 = memref.subview %full[1, 0] [1, 8] [1, 1] : memref<2x8xf32> to memref<8xf32, strided<[1], offset: 8>>
  memref.copy %t2, %s2 : memref<8xf32> to memref<8xf32, strided<[1], offset: 8>>
  return %full : memref<2x8xf32>
}
