// --mlir-print-ir-after-all prints, on stderr, one header per pass in order:
// upstream passes under their class names, kiln passes under their CLI names,
// nested passes once per anchor op; stdout has the final IR only.
// RUN: kiln-opt %s --pass-pipeline='builtin.module(canonicalize, kiln-fuse-elementwise, func.func(cse))' --mlir-print-ir-after-all 2>&1 >/dev/null | FileCheck %s
// RUN: kiln-opt %s --pass-pipeline='builtin.module(canonicalize, kiln-fuse-elementwise, func.func(cse))' --mlir-print-ir-after-all 2>/dev/null | FileCheck %s --check-prefix=OUT

// CHECK: // -----// IR Dump After CanonicalizerPass: canonicalize{{.*}} ('builtin.module' operation) //----- //
// CHECK-NEXT: module {
// CHECK: // -----// IR Dump After kiln-fuse-elementwise: kiln-fuse-elementwise ('builtin.module' operation) //----- //
// CHECK-DAG: // -----// IR Dump After CSEPass: cse ('func.func' operation: @f) //----- //
// CHECK-DAG: // -----// IR Dump After CSEPass: cse ('func.func' operation: @g) //----- //
// CHECK-NOT: IR Dump

// OUT-NOT: IR Dump
// OUT: func.func @f
// OUT: func.func @g
// OUT-NOT: IR Dump
func.func @f(%a: f32) -> f32 {
  %0 = arith.addf %a, %a : f32
  return %0 : f32
}
func.func @g(%a: f32) -> f32 {
  %0 = arith.mulf %a, %a : f32
  return %0 : f32
}
