// --split-input-file: every chunk is processed even after one fails, errors
// carry the line numbers of this file, the exit status is non-zero, and the
// good chunks are printed separated by the split marker.
// RUN: not kiln-opt %s --split-input-file > %t.out 2> %t.err
// RUN: FileCheck %s --check-prefix=ERR < %t.err
// RUN: FileCheck %s < %t.out

// CHECK: func.func @first
// CHECK-NOT: func.func @bad
// CHECK: {{^// -{5}$}}
// CHECK: func.func @third
// CHECK-NOT: func.func @bad
func.func @first(%a: f32) -> f32 {
  %0 = arith.addf %a, %a : f32
  return %0 : f32
}

// -----

// ERR: kiln-opt-split-input-file.mlir:[[# @LINE + 3]]:{{[0-9]+}}: error: use of value '%a' expects different type than prior uses: 'i32' vs 'f32'
// ERR: kiln-opt-split-input-file.mlir:[[# @LINE + 1]]:{{[0-9]+}}: note: prior use here
func.func @bad(%a: f32) -> f32 {
  %0 = arith.addf %a, %a : i32
  return %0 : f32
}

// -----

// ERR: kiln-opt-split-input-file.mlir:[[# @LINE + 2]]:{{[0-9]+}}: error: custom op 'arith.mulff' is unknown
func.func @also_bad(%a: f32) -> f32 {
  %0 = arith.mulff %a, %a : f32
  return %0 : f32
}

// -----

func.func @third(%a: f32) -> f32 {
  %0 = arith.mulf %a, %a : f32
  return %0 : f32
}
