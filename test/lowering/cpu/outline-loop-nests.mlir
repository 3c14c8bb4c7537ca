// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-outline-loop-nests)' | FileCheck %s
// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-outline-loop-nests{bare-pointers=false})' | FileCheck %s --check-prefix=DESC

// Each top-level nest moves into an internal noinline function. Constants
// and views are cloned into it; globals and the entry point's arguments are
// passed, a global once per nest however many get_global ops name it, as a
// noalias argument aligned as the global is.
// CHECK-LABEL: func.func @two_nests
// CHECK-SAME: (%[[X:.*]]: memref<4x8xf32>, %[[Y:.*]]: memref<4x8xf32>)
// CHECK: %[[G:.*]] = memref.get_global @tmp : memref<4x8xf32>
// CHECK-NOT: memref.get_global
// CHECK-NOT: scf.for
// CHECK: call @[[FIRST:__kiln_nest_[0-9]+]](%[[X]], %[[G]]) : (memref<4x8xf32>, memref<4x8xf32>) -> ()
// CHECK-NEXT: call @[[SECOND:__kiln_nest_[0-9]+]](%[[G]], %[[Y]]) : (memref<4x8xf32>, memref<4x8xf32>) -> ()
// CHECK-NEXT: return
// CHECK: func.func private @[[FIRST]](%[[A:.*]]: memref<4x8xf32>, %[[T:.*]]: memref<4x8xf32> {llvm.align = 64 : i64, llvm.noalias}) attributes {llvm.linkage = #llvm.linkage<internal>, llvm.no_inline}
// CHECK-NOT: memref.get_global
// CHECK-DAG: %[[ROW:.*]] = memref.subview %[[T]][1, 0] [1, 8] [1, 1]
// CHECK-DAG: %[[TWO:.*]] = arith.constant 2.000000e+00 : f32
// CHECK: scf.for %[[I:.*]] =
// CHECK: %[[V:.*]] = memref.load %[[A]][%{{.*}}, %[[I]]]
// CHECK: %[[W:.*]] = arith.mulf %[[V]], %[[TWO]]
// CHECK: memref.store %[[W]], %[[ROW]][%{{.*}}, %[[I]]]
// CHECK: return
// CHECK: func.func private @[[SECOND]](%[[T2:.*]]: memref<4x8xf32> {llvm.align = 64 : i64, llvm.noalias}, %[[B:.*]]: memref<4x8xf32>)
// CHECK: scf.for
// CHECK: memref.load %[[T2]]
// CHECK: memref.store %{{.*}}, %[[B]]
memref.global "private" @tmp : memref<4x8xf32> = uninitialized {alignment = 64 : i64}
func.func @two_nests(%x: memref<4x8xf32>, %y: memref<4x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %two = arith.constant 2.0 : f32
  %tmp = memref.get_global @tmp : memref<4x8xf32>
  %row = memref.subview %tmp[1, 0] [1, 8] [1, 1] : memref<4x8xf32> to memref<1x8xf32, strided<[8, 1], offset: 8>>
  scf.for %i = %c0 to %c8 step %c1 {
    %v = memref.load %x[%c0, %i] : memref<4x8xf32>
    %w = arith.mulf %v, %two : f32
    memref.store %w, %row[%c0, %i] : memref<1x8xf32, strided<[8, 1], offset: 8>>
  }
  %tmp2 = memref.get_global @tmp : memref<4x8xf32>
  scf.for %i = %c0 to %c8 step %c1 {
    %v = memref.load %tmp2[%c1, %i] : memref<4x8xf32>
    memref.store %v, %y[%c0, %i] : memref<4x8xf32>
  }
  return
}

// -----

// A value computed at run time is passed; a strided view of an argument
// cannot be passed as a bare pointer, so that nest stays where it is.
// CHECK-LABEL: func.func @runtime_value
// CHECK: %[[N:.*]] = memref.load
// CHECK: call @__kiln_nest_0(%{{.*}}, %[[N]]) : (memref<8xf32>, index) -> ()
// CHECK: scf.for
// CHECK: return
// CHECK: func.func private @__kiln_nest_0(%{{.*}}: memref<8xf32>, %[[M:.*]]: index)
// CHECK: scf.for %{{.*}} = %{{.*}} to %[[M]]
func.func @runtime_value(%x: memref<8xf32>, %n: memref<1xindex>, %s: memref<8xf32, strided<[2]>>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %m = memref.load %n[%c0] : memref<1xindex>
  %zero = arith.constant 0.0 : f32
  scf.for %i = %c0 to %m step %c1 {
    memref.store %zero, %x[%i] : memref<8xf32>
  }
  scf.for %i = %c0 to %m step %c1 {
    memref.store %zero, %s[%i] : memref<8xf32, strided<[2]>>
  }
  return
}

// -----

// A memref of dynamic shape (a bool mask's count of elements) cannot go by
// bare pointer: with bare pointers (the static-shape pipeline) its nest stays
// in place, so that func-to-llvm converts every function (issue 12: "'llvm.call'
// op '__kiln_nest_N' does not reference a valid LLVM function"). Without bare
// pointers (the dynamic-shape pipeline) it is passed as a descriptor.
// CHECK-LABEL: func.func @dynamic_memref
// CHECK: call @__kiln_nest_0(%{{.*}}) : (memref<8xf32>) -> ()
// CHECK-NEXT: %[[D:.*]] = memref.alloc
// CHECK-NEXT: scf.for
// CHECK-NEXT: memref.store %{{.*}}, %[[D]][%{{.*}}] : memref<?xf32>
// CHECK-NOT: __kiln_nest_1
// DESC-LABEL: func.func @dynamic_memref
// DESC: call @__kiln_nest_0(%{{.*}}) : (memref<8xf32>) -> ()
// DESC: %[[D:.*]] = memref.alloc
// DESC-NEXT: call @__kiln_nest_1(%[[D]], %{{.*}}) : (memref<?xf32>, index) -> ()
// DESC: func.func private @__kiln_nest_1(%{{.*}}: memref<?xf32> {llvm.noalias}, %{{.*}}: index)
func.func @dynamic_memref(%x: memref<8xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c8 = arith.constant 8 : index
  %zero = arith.constant 0.0 : f32
  scf.for %i = %c0 to %c8 step %c1 {
    memref.store %zero, %x[%i] : memref<8xf32>
  }
  %d = memref.alloc(%n) : memref<?xf32>
  scf.for %i = %c0 to %n step %c1 {
    memref.store %zero, %d[%i] : memref<?xf32>
  }
  memref.dealloc %d : memref<?xf32>
  return
}

// -----

// Two nests side by side in one loop's body (Winograd's transforms per block of
// tile rows) are each outlined again: a call per nest in the loop, the block
// index and the per-block buffer passed in, noalias kept for both buffers. A
// loop whose body holds one nest keeps it inline.
// CHECK-LABEL: func.func @blocks
// CHECK: call @__kiln_nest_0(
// CHECK: call @__kiln_nest_1(
// CHECK-LABEL: func.func private @__kiln_nest_0(
// CHECK: scf.for %[[B:.*]] =
// CHECK: %[[T:.*]] = memref.alloc() {alignment = 64 : i64} : memref<8xf32>
// CHECK-NEXT: call @__kiln_nest_2(%{{.*}}, %[[B]], %[[T]])
// CHECK-NEXT: call @__kiln_nest_3(
// CHECK-LABEL: func.func private @__kiln_nest_1(
// CHECK: scf.for
// CHECK: scf.for
// CHECK-NOT: call
// CHECK-LABEL: func.func private @__kiln_nest_2(
// CHECK-SAME: %{{.*}}: memref<4x8xf32> {llvm.align = 64 : i64, llvm.noalias}, %{{.*}}: index, %{{.*}}: memref<8xf32> {llvm.align = 64 : i64, llvm.noalias})
// CHECK-LABEL: func.func private @__kiln_nest_3(
memref.global "private" @buf : memref<4x8xf32> = uninitialized {alignment = 64 : i64}
func.func @blocks(%out: memref<4x8xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %one = arith.constant 1.0 : f32
  %g = memref.get_global @buf : memref<4x8xf32>
  scf.for %b = %c0 to %c4 step %c1 {
    %t = memref.alloc() {alignment = 64 : i64} : memref<8xf32>
    scf.for %j = %c0 to %c8 step %c1 {
      %x = memref.load %g[%b, %j] : memref<4x8xf32>
      memref.store %x, %t[%j] : memref<8xf32>
    }
    scf.for %j = %c0 to %c8 step %c1 {
      %x = memref.load %t[%j] : memref<8xf32>
      memref.store %x, %out[%b, %j] : memref<4x8xf32>
    }
  }
  scf.for %b = %c0 to %c4 step %c1 {
    scf.for %j = %c0 to %c8 step %c1 {
      memref.store %one, %out[%b, %j] : memref<4x8xf32>
    }
  }
  return
}

// -----

// A vector computed in the entry's body (a splat the canonicalizer hoisted out of
// the loops) cannot be an argument: it is computed again in the nest function,
// its scalar operand passed, so the nest is outlined (MaxViT kept 97 nests in
// its entry function, which LLVM then compiled as one huge function).
// A scalar computed from constants only is recomputed as well (LLVM folds it).
// CHECK-LABEL: func.func @vector_value
// CHECK: %[[E:.*]] = arith.extf
// CHECK-NEXT: vector.broadcast
// CHECK-NEXT: call @__kiln_nest_0(%[[E]], %{{.*}}) : (f32, memref<64xf32>) -> ()
// CHECK: call @__kiln_nest_1(%{{.*}}) : (memref<64xf32>) -> ()
// CHECK-NEXT: return
// CHECK: func.func private @__kiln_nest_0(%[[A:.*]]: f32, %[[X:.*]]: memref<64xf32>)
// CHECK: %[[V:.*]] = vector.broadcast %[[A]] : f32 to vector<8xf32>
// CHECK: scf.for
// CHECK: vector.transfer_write %[[V]], %[[X]]
// CHECK: func.func private @__kiln_nest_1(%[[Y:.*]]: memref<64xf32>)
// CHECK: %[[C:.*]] = arith.constant 1.5
// CHECK: %[[T:.*]] = arith.truncf %[[C]] : f32 to bf16
// CHECK: %[[H:.*]] = arith.extf %[[T]] : bf16 to f32
// CHECK: vector.broadcast %[[H]] : f32 to vector<8xf32>
func.func @vector_value(%x: memref<64xf32>, %s: memref<1xf32>) {
  %c0 = arith.constant 0 : index
  %c8 = arith.constant 8 : index
  %c64 = arith.constant 64 : index
  %a = memref.load %s[%c0] : memref<1xf32>
  %t = arith.truncf %a : f32 to bf16
  %e = arith.extf %t : bf16 to f32
  %v = vector.broadcast %e : f32 to vector<8xf32>
  scf.for %i = %c0 to %c64 step %c8 {
    vector.transfer_write %v, %x[%i] {in_bounds = [true]} : vector<8xf32>, memref<64xf32>
  }
  %k = arith.constant 1.5 : f32
  %kt = arith.truncf %k : f32 to bf16
  %ke = arith.extf %kt : bf16 to f32
  %kv = vector.broadcast %ke : f32 to vector<8xf32>
  scf.for %i = %c0 to %c64 step %c8 {
    vector.transfer_write %kv, %x[%i] {in_bounds = [true]} : vector<8xf32>, memref<64xf32>
  }
  return
}
