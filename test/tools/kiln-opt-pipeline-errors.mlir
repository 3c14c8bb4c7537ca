// Bad pipelines and options give one clear error line and exit status 1.
// RUN: not kiln-opt %s --pass-pipeline='builtin.module(kiln-no-such-pass)' 2>&1 | FileCheck %s --check-prefix=UNKNOWN-KILN
// RUN: not kiln-opt %s --pass-pipeline='builtin.module(no-such-pass)' 2>&1 | FileCheck %s --check-prefix=UNKNOWN-UPSTREAM
// RUN: not kiln-opt %s --pass-pipeline='builtin.module(func.func(kiln-fuse-elementwise))' 2>&1 | FileCheck %s --check-prefix=NESTED
// RUN: not kiln-opt %s --pass-pipeline='builtin.module(kiln-tile-and-fuse{threads=two})' 2>&1 | FileCheck %s --check-prefix=BAD-VALUE
// RUN: not kiln-opt %s --pass-pipeline='builtin.module(kiln-tile-and-fuse threads=2)' 2>&1 | FileCheck %s --check-prefix=BAD-SYNTAX
// RUN: not kiln-opt %s --pass-pipeline='builtin.module(canonicalize{no-such-option=1})' 2>&1 | FileCheck %s --check-prefix=UPSTREAM-OPTION
// RUN: not kiln-opt %s --kiln-pipeline=cpu --stop-after=linalg 2>&1 | FileCheck %s --check-prefix=STAGE
// RUN: not kiln-opt %s --kiln-pipeline=cpu --start-at=llvm --stop-after=graph 2>&1 | FileCheck %s --check-prefix=ORDER
// RUN: not kiln-opt %s --kiln-pipeline=gpu 2>&1 | FileCheck %s --check-prefix=PIPELINE
// RUN: not kiln-opt %s --kiln-pipeline=cpu --pass-pipeline='builtin.module(cse)' 2>&1 | FileCheck %s --check-prefix=BOTH
// RUN: not kiln-opt %s.missing 2>&1 | FileCheck %s --check-prefix=MISSING

// UNKNOWN-KILN: kiln-opt-pipeline-errors.mlir: error: unknown kiln pass 'kiln-no-such-pass' (see kiln-opt --list-passes)
// UNKNOWN-UPSTREAM: error: {{.*}}'no-such-pass' does not refer to a registered pass or pass pipeline
// NESTED: kiln-opt-pipeline-errors.mlir: error: 'func.func(kiln-fuse-elementwise)': kiln passes run on the module; nest them at the top level of the pipeline
// BAD-VALUE: error: pass 'kiln-tile-and-fuse' option 'threads': cannot read 'two'
// BAD-SYNTAX: error: malformed options for 'kiln-tile-and-fuse': threads=2
// UPSTREAM-OPTION: error: {{.*}}no such option no-such-option
// STAGE: kiln-opt: --stop-after=linalg: pipeline 'cpu' has stages graph, grouped, tiled, vectorized, bufferized, loops, llvm
// ORDER: kiln-opt: stage 'llvm' comes after 'graph'
// PIPELINE: kiln-opt: unknown pipeline 'gpu' (kiln pipelines: cpu, cuda)
// BOTH: kiln-opt: give --pass-pipeline or --kiln-pipeline, not both
// MISSING: kiln-opt: cannot read {{.*}}kiln-opt-pipeline-errors.mlir.missing: No such file or directory

// UNKNOWN-KILN-NOT: Traceback
// UNKNOWN-UPSTREAM-NOT: Traceback
// NESTED-NOT: Traceback
// BAD-VALUE-NOT: Traceback
// BAD-SYNTAX-NOT: Traceback
// UPSTREAM-OPTION-NOT: Traceback

func.func @f(%a: f32) -> f32 {
  %0 = arith.addf %a, %a : f32
  return %0 : f32
}
