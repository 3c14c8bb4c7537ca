// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-roll-copy-loops)' | FileCheck %s
// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-roll-copy-loops, convert-scf-to-cf, convert-vector-to-llvm, finalize-memref-to-llvm, convert-func-to-llvm, convert-arith-to-llvm, convert-cf-to-llvm, reconcile-unrealized-casts)' | FileCheck %s --check-prefix=LLVM
// RUN: not kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-roll-copy-loops{max-moves=0})' 2>&1 | FileCheck %s --check-prefix=ERR

// Swin's patch merging as the loops stage leaves it: 14 x 28 x 3 vector copies.
// The two outer loops would unroll into 1176 copies of 4 AVX2 registers: they
// keep their loop; the inner loop (3 copies, 24 register moves) is left to LLVM.
// CHECK: #[[$UNROLL:.*]] = #llvm.loop_unroll<disable = true>
// CHECK: #[[$ROLLED:.*]] = #llvm.loop_annotation<unroll = #[[$UNROLL]]>
// CHECK-LABEL: func.func @patch_merge
// CHECK: scf.for
// CHECK: scf.for
// CHECK: scf.for
// CHECK: vector.transfer_read
// CHECK: vector.transfer_write
// CHECK-NEXT: {{^ *}}}{{$}}
// CHECK-NEXT: } {loop_annotation = #[[$ROLLED]]}
// CHECK-NEXT: } {loop_annotation = #[[$ROLLED]]}
// The annotation reaches the loop's back edge, where LLVM IR translation makes it
// !llvm.loop metadata (llvm.loop.unroll.disable).
// LLVM-LABEL: llvm.func @patch_merge
// LLVM-COUNT-2: llvm.br {{.*}} {loop_annotation = #{{.*}}}
// LLVM-NOT: loop_annotation
// LLVM: llvm.return
func.func @patch_merge(%src: memref<28x2x28x2x96xf32>, %dst: memref<28x28x384xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c14 = arith.constant 14 : index
  %c28 = arith.constant 28 : index
  %c32 = arith.constant 32 : index
  %c96 = arith.constant 96 : index
  %pad = arith.constant 0.0 : f32
  scf.for %i = %c0 to %c14 step %c1 {
    scf.for %j = %c0 to %c28 step %c1 {
      scf.for %k = %c0 to %c96 step %c32 {
        %v = vector.transfer_read %src[%i, %c1, %j, %c0, %k], %pad {in_bounds = [true]} : memref<28x2x28x2x96xf32>, vector<32xf32>
        vector.transfer_write %v, %dst[%i, %j, %k] {in_bounds = [true]} : vector<32xf32>, memref<28x28x384xf32>
      }
    }
  }
  return
}

// -----

// A short copy nest (2 x 4 x 2 = 16 copies of one register, 32 moves) is left to
// LLVM; so is a loop that computes (an add), and a copy loop whose trip count is
// not a constant.
// CHECK-LABEL: func.func @left_alone
// CHECK-NOT: loop_annotation
// CHECK: return
func.func @left_alone(%a: memref<2x4x64xf32>, %b: memref<2x4x64xf32>, %n: index) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c16 = arith.constant 16 : index
  %c1000 = arith.constant 1000 : index
  %pad = arith.constant 0.0 : f32
  scf.for %i = %c0 to %c2 step %c1 {
    scf.for %j = %c0 to %c4 step %c1 {
      scf.for %k = %c0 to %c16 step %c8 {
        %v = vector.transfer_read %a[%i, %j, %k], %pad {in_bounds = [true]} : memref<2x4x64xf32>, vector<8xf32>
        vector.transfer_write %v, %b[%i, %j, %k] {in_bounds = [true]} : vector<8xf32>, memref<2x4x64xf32>
      }
    }
  }
  scf.for %r = %c0 to %c1000 step %c1 {
    scf.for %i = %c0 to %c2 step %c1 {
      scf.for %j = %c0 to %c4 step %c1 {
        %v = vector.transfer_read %a[%i, %j, %c0], %pad {in_bounds = [true]} : memref<2x4x64xf32>, vector<32xf32>
        %w = arith.addf %v, %v : vector<32xf32>
        vector.transfer_write %w, %b[%i, %j, %c0] {in_bounds = [true]} : vector<32xf32>, memref<2x4x64xf32>
      }
    }
  }
  scf.for %i = %c0 to %n step %c1 {
    scf.for %j = %c0 to %c4 step %c1 {
      %v = vector.transfer_read %a[%c0, %j, %c0], %pad {in_bounds = [true]} : memref<2x4x64xf32>, vector<32xf32>
      vector.transfer_write %v, %b[%c0, %j, %c0] {in_bounds = [true]} : vector<32xf32>, memref<2x4x64xf32>
    }
  }
  return
}

// -----

// Moves count the registers they fill: 8 copies of <56 x f32> are 8 x 2 x 7 = 112
// AVX2 register moves, so even the inner loop stays rolled. A conversion (f32 ->
// f64) only moves data too.
// CHECK-LABEL: func.func @wide_and_converting
// CHECK: vector.transfer_write {{.*}} vector<56xf32>
// CHECK-NEXT: } {loop_annotation = #[[$ROLLED]]}
// CHECK-NEXT: } {loop_annotation = #[[$ROLLED]]}
// CHECK: arith.extf
// CHECK: vector.transfer_write {{.*}} vector<16xf64>
// CHECK-NEXT: }
// CHECK-NEXT: } {loop_annotation = #[[$ROLLED]]}
func.func @wide_and_converting(%a: memref<4x8x56xf32>, %b: memref<4x8x56xf32>, %c: memref<12x64x16xf64>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c4 = arith.constant 4 : index
  %c8 = arith.constant 8 : index
  %c12 = arith.constant 12 : index
  %c64 = arith.constant 64 : index
  %pad = arith.constant 0.0 : f32
  scf.for %i = %c0 to %c4 step %c1 {
    scf.for %j = %c0 to %c8 step %c1 {
      %v = vector.transfer_read %a[%i, %j, %c0], %pad {in_bounds = [true]} : memref<4x8x56xf32>, vector<56xf32>
      vector.transfer_write %v, %b[%i, %j, %c0] {in_bounds = [true]} : vector<56xf32>, memref<4x8x56xf32>
    }
  }
  scf.for %i = %c0 to %c12 step %c1 {
    scf.for %j = %c0 to %c4 step %c1 {
      %v = vector.transfer_read %a[%j, %c0, %c0], %pad {in_bounds = [true]} : memref<4x8x56xf32>, vector<16xf32>
      %w = arith.extf %v : vector<16xf32> to vector<16xf64>
      vector.transfer_write %w, %c[%i, %j, %c0] {in_bounds = [true]} : vector<16xf64>, memref<12x64x16xf64>
    }
  }
  return
}

// -----

// Scalar copies count as the fraction of a register they fill: LLVM vectorizes the
// innermost loop (64 f32 loads and stores are 16 AVX2 moves) and may unroll it as
// before; the loops around it (14 x 16 = 224 moves and more) stay rolled.
// CHECK-LABEL: func.func @scalar_copies
// CHECK: memref.store
// CHECK-NEXT: {{^ *}}}{{$}}
// CHECK-NEXT: } {loop_annotation = #[[$ROLLED]]}
// CHECK-NEXT: } {loop_annotation = #[[$ROLLED]]}
func.func @scalar_copies(%a: memref<2x14x64xf32>, %b: memref<2x16x64xf32>) {
  %c0 = arith.constant 0 : index
  %c1 = arith.constant 1 : index
  %c2 = arith.constant 2 : index
  %c14 = arith.constant 14 : index
  %c64 = arith.constant 64 : index
  scf.for %i = %c0 to %c2 step %c1 {
    scf.for %j = %c0 to %c14 step %c1 {
      scf.for %k = %c0 to %c64 step %c1 {
        %v = memref.load %a[%i, %j, %k] : memref<2x14x64xf32>
        memref.store %v, %b[%i, %j, %k] : memref<2x16x64xf32>
      }
    }
  }
  return
}

// ERR: max-moves must be >= 1, got 0
