// MLIR's own parser (torch-mlir 20261001) segfaults on a float in the i64 array of
// linalg's custom syntax. kiln-opt and kiln-compile parse in a forked probe first:
// the crash becomes an error naming the file, the process exits 1, not by a signal
// (also when building a library, -o model.so).
// RUN: not kiln-opt %s --kiln-pipeline=cpu 2>&1 | FileCheck %s
// RUN: not kiln-compile %s 2>&1 | FileCheck %s
// RUN: not kiln-compile %s --target=cpu -o %t.so 2>&1 | FileCheck %s
// A well-formed input still compiles (the probe is transparent).
// RUN: kiln-opt %S/Inputs/parser-crash-neighbour.mlir | FileCheck %s --check-prefix=FINE

// CHECK: kiln-opt-parser-crash.mlir: error: MLIR's parser crashed (SIGSEGV) reading this input, before any kiln pass ran
// CHECK-NOT: Traceback
// FINE: linalg.reduce ins(%{{.*}} : tensor<4x8xf32>) outs(%{{.*}} : tensor<8xf32>) dimensions = [0]
func.func @f(%a: tensor<4x8xf32>, %c: tensor<8xf32>) -> tensor<8xf32> {
  %r = linalg.reduce ins(%a : tensor<4x8xf32>) outs(%c : tensor<8xf32>) dimensions = [0.0]
    (%x: f32, %y: f32) {
      %s = arith.addf %x, %y : f32
      linalg.yield %s : f32
    }
  return %r : tensor<8xf32>
}
