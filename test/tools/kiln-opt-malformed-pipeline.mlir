// Bug: kiln-opt prints a Python traceback for a --pass-pipeline with unbalanced
// brackets: split_pipeline's ValueError is raised in _process outside the try
// block that turns errors into `file: error: ...` lines.
// RUN: not kiln-opt %s --pass-pipeline='builtin.module(kiln-fuse-elementwise' 2>&1 | FileCheck %s --check-prefix=OPEN
// RUN: not kiln-opt %s --pass-pipeline='builtin.module(cse))' 2>&1 | FileCheck %s --check-prefix=CLOSE

// OPEN-NOT: Traceback
// OPEN: kiln-opt-malformed-pipeline.mlir: error: unbalanced '(' or '{' in pass pipeline
// OPEN-NOT: Traceback
// CLOSE-NOT: Traceback
// CLOSE: kiln-opt-malformed-pipeline.mlir: error: unbalanced ')' or '}' in pass pipeline at column
// CLOSE-NOT: Traceback

func.func @f(%a: f32) -> f32 {
  return %a : f32
}
