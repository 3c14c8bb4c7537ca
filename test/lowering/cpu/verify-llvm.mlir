// The second chunk fails: stdout has the first chunk, stderr the errors.
// RUN: not kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-verify-llvm)' > %t.out 2> %t.err
// RUN: FileCheck %s < %t.out
// RUN: FileCheck %s --check-prefix=ERR < %t.err
// RUN: not kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-verify-llvm{strict=true})' 2>&1 | FileCheck %s --check-prefix=OPTION

// Must not change: LLVM ops, and OpenMP ops around LLVM code, pass as they are.
// CHECK-LABEL: llvm.func @lowered
// CHECK: omp.parallel {
// CHECK: llvm.fadd
// CHECK: omp.terminator
// CHECK: llvm.return
// CHECK-NOT: not_lowered
llvm.func @lowered(%a: f32, %p: !llvm.ptr) {
  omp.parallel {
    %0 = llvm.fadd %a, %a : f32
    llvm.store %0, %p : f32, !llvm.ptr
    omp.terminator
  }
  llvm.return
}

// -----

// Every op left over is an error at its own location, naming the pass; the chunk is not printed.
// ERR: verify-llvm.mlir:[[# @LINE + 3]]:1: error: kiln-verify-llvm: 'func.func' was not lowered to the LLVM dialect
// ERR: verify-llvm.mlir:[[# @LINE + 3]]:8: error: kiln-verify-llvm: 'arith.addf' was not lowered to the LLVM dialect
// ERR: verify-llvm.mlir:[[# @LINE + 3]]:3: error: kiln-verify-llvm: 'func.return' was not lowered to the LLVM dialect
func.func @not_lowered(%a: f32) -> f32 {
  %0 = arith.addf %a, %a : f32
  return %0 : f32
}

// OPTION: error: pass 'kiln-verify-llvm' has no option 'strict'
