// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-merge-identical-functions)' | FileCheck %s

// @b is @a under another name: its call goes to @a and it is erased. @c
// differs in one constant, @d only in an argument attribute, @e is public:
// all three stay.
// CHECK-LABEL: func.func @entry
// CHECK-SAME: (%[[P:.*]]: memref<4xf32>, %[[Q:.*]]: memref<4xf32>)
// CHECK-NEXT: call @a(%[[P]])
// CHECK-NEXT: call @a(%[[Q]])
// CHECK-NEXT: call @c(%[[Q]])
// CHECK-NEXT: call @d(%[[Q]])
// CHECK-NEXT: call @e(%[[Q]])
// CHECK-NEXT: return
// CHECK: func.func private @a(
// CHECK: arith.constant 2.0
// CHECK-NOT: func.func private @b
// CHECK: func.func private @c(
// CHECK: arith.constant 3.0
// CHECK: func.func private @d(%{{.*}}: memref<4xf32> {llvm.noalias})
// CHECK: func.func @e(
func.func @entry(%p: memref<4xf32>, %q: memref<4xf32>) {
  call @a(%p) : (memref<4xf32>) -> ()
  call @b(%q) : (memref<4xf32>) -> ()
  call @c(%q) : (memref<4xf32>) -> ()
  call @d(%q) : (memref<4xf32>) -> ()
  call @e(%q) : (memref<4xf32>) -> ()
  return
}
func.func private @a(%x: memref<4xf32>) attributes {llvm.no_inline} {
  %c0 = arith.constant 0 : index
  %two = arith.constant 2.0 : f32
  memref.store %two, %x[%c0] : memref<4xf32>
  return
}
func.func private @b(%x: memref<4xf32>) attributes {llvm.no_inline} {
  %c0 = arith.constant 0 : index
  %two = arith.constant 2.0 : f32
  memref.store %two, %x[%c0] : memref<4xf32>
  return
}
func.func private @c(%x: memref<4xf32>) attributes {llvm.no_inline} {
  %c0 = arith.constant 0 : index
  %three = arith.constant 3.0 : f32
  memref.store %three, %x[%c0] : memref<4xf32>
  return
}
func.func private @d(%x: memref<4xf32> {llvm.noalias}) attributes {llvm.no_inline} {
  %c0 = arith.constant 0 : index
  %two = arith.constant 2.0 : f32
  memref.store %two, %x[%c0] : memref<4xf32>
  return
}
func.func @e(%x: memref<4xf32>) {
  %c0 = arith.constant 0 : index
  %two = arith.constant 2.0 : f32
  memref.store %two, %x[%c0] : memref<4xf32>
  return
}

// -----

// Declarations are never merged, and a module without duplicates is unchanged.
// CHECK-LABEL: func.func @only
// CHECK-NEXT: call @ext1
// CHECK-NEXT: call @ext2
// CHECK: func.func private @ext1(memref<4xf32>)
// CHECK: func.func private @ext2(memref<4xf32>)
func.func @only(%p: memref<4xf32>) {
  call @ext1(%p) : (memref<4xf32>) -> ()
  call @ext2(%p) : (memref<4xf32>) -> ()
  return
}
func.func private @ext1(memref<4xf32>)
func.func private @ext2(memref<4xf32>)
