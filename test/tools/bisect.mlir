// kiln-bisect on MLIR input: each stage's IR is run through the plain reference lowering on
// seeded random inputs; the first stage that answers differently and the first op whose
// value differs are named, and a reduced test is written.

// A textual pipeline: each top-level pass is a stage.
// RUN: not kiln-bisect %s -o %t --load=%S/../e2e/wrong_passes.py \
// RUN:   --pass-pipeline='builtin.module(canonicalize,kiln-test-flip-addf,cse)' | FileCheck %s --check-prefix=PASSES
// RUN: FileCheck %s --input-file=%t/bisect-02-kiln-test-flip-addf.mlir --check-prefix=REDUCED

// A pipeline from Python, compared with a reference pipeline (here: kiln's own, right).
// RUN: not kiln-bisect %s -o %t --pipeline=%S/Inputs/bisect_pipelines.py:flip_after_tiled \
// RUN:   --reference=%S/Inputs/bisect_pipelines.py:cpu | FileCheck %s --check-prefix=PYTHON

// A right pipeline: exit status 0.
// RUN: kiln-bisect %s -o %t --pass-pipeline='builtin.module(canonicalize,cse)' | FileCheck %s --check-prefix=RIGHT

// Bad arguments: a clear error, exit status 2.
// RUN: not kiln-bisect %s --pipeline=%S/Inputs/bisect_pipelines.py:nothing 2>&1 | FileCheck %s --check-prefix=NO-FUNCTION
// RUN: not kiln-bisect %s --check 2>&1 | FileCheck %s --check-prefix=CHECK-NEEDS-PIPELINE

// PASSES: kiln-bisect: bisect: pipeline 'pass-pipeline' (01-canonicalize, 02-kiln-test-flip-addf, 03-cse) against the plain reference lowering
// PASSES: after import {{.*}} ok
// PASSES-NEXT: after 01-canonicalize {{.*}} ok
// PASSES-NEXT: after 02-kiln-test-flip-addf {{.*}} DIFFERS
// PASSES: kiln-bisect: first wrong stage: 02-kiln-test-flip-addf
// PASSES: first wrong op (at {{.*}}bisect.mlir:[[# @LINE + 30]]:{{[0-9]+}}):
// PASSES-NEXT: {{%[0-9]+}} = linalg.generic {{.*}} ins(%1, %arg1
// PASSES: reduced test: {{.*}}bisect-02-kiln-test-flip-addf.mlir (fails until fixed)

// REDUCED: // {{RUN}}: kiln-bisect --check %s '--pass-pipeline=builtin.module(kiln-test-flip-addf)' --load={{.*}}wrong_passes.py | FileCheck %s
// REDUCED: // {{CHECK}}: kiln-bisect: results match
// REDUCED: func.func @f(%arg0: tensor<4x8xf32>, %arg1: tensor<4x8xf32>) -> tensor<4x8xf32>
// REDUCED-NOT: arith.mulf
// REDUCED: arith.addf

// PYTHON: kiln-bisect: bisect: pipeline 'cpu' (graph, grouped, tiled, wrong, vectorized, bufferized, loops, llvm) against reference pipeline 'cpu'
// PYTHON: after tiled {{.*}} ok
// PYTHON-NEXT: after wrong {{.*}} DIFFERS
// PYTHON: first wrong stage: wrong
// PYTHON: first wrong op (at {{.*}}bisect.mlir:[[# @LINE + 16]]:{{[0-9]+}}):

// RIGHT: kiln-bisect: the compiled model agrees with the reference

// NO-FUNCTION: kiln-bisect: error: '{{.*}}bisect_pipelines.py:nothing': {{.*}}bisect_pipelines.py defines no 'nothing'
// CHECK-NEEDS-PIPELINE: kiln-bisect: error: --check needs --pass-pipeline

#map = affine_map<(d0, d1) -> (d0, d1)>
func.func @f(%x: tensor<4x8xf32>, %y: tensor<4x8xf32>) -> tensor<4x8xf32> {
  %e = tensor.empty() : tensor<4x8xf32>
  %0 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.mulf %a, %a : f32
    linalg.yield %m : f32
  } -> tensor<4x8xf32>
  %1 = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel"]}
      ins(%0, %y : tensor<4x8xf32>, tensor<4x8xf32>) outs(%e : tensor<4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<4x8xf32>
  return %1 : tensor<4x8xf32>
}
