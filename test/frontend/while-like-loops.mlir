// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-while-like-loops)' | FileCheck %s
// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-while-like-loops, func.func(convert-torch-to-scf))' | FileCheck %s --check-prefix=SCF

// torch.while_loop whose first test folded to true: the initial condition becomes a
// non-constant true, so torch-mlir lowers a while loop that tests the body's condition.
// CHECK-LABEL: func.func @while_loop
// CHECK: %[[TRUE:.*]] = arith.constant true
// CHECK: %[[COND:.*]] = torch_c.from_i1 %[[TRUE]]
// CHECK: torch.prim.Loop %{{.*}}, %[[COND]], init(
// SCF-LABEL: func.func @while_loop
// SCF: scf.while
// SCF: scf.condition
// SCF-NOT: scf.for
func.func @while_loop(%x: !torch.vtensor<[7,9],f32>) -> !torch.vtensor<[7,9],f32> {
  %int1 = torch.constant.int 1
  %int3 = torch.constant.int 3
  %max = torch.constant.int 9223372036854775807
  %true = torch.constant.bool true
  %i0 = torch.vtensor.literal(dense<0> : tensor<si64>) : !torch.vtensor<[],si64>
  %r:2 = torch.prim.Loop %max, %true, init(%i0, %x) {
  ^bb0(%iv: !torch.int, %i: !torch.vtensor<[],si64>, %y: !torch.vtensor<[7,9],f32>):
    %i1 = torch.aten.add.Scalar %i, %int1, %int1 : !torch.vtensor<[],si64>, !torch.int, !torch.int -> !torch.vtensor<[],si64>
    %y1 = torch.aten.add.Scalar %y, %int1, %int1 : !torch.vtensor<[7,9],f32>, !torch.int, !torch.int -> !torch.vtensor<[7,9],f32>
    %lt = torch.aten.lt.Scalar %i1, %int3 : !torch.vtensor<[],si64>, !torch.int -> !torch.vtensor<[],i1>
    %c = torch.aten.Bool.Tensor %lt : !torch.vtensor<[],i1> -> !torch.bool
    torch.prim.Loop.condition %c, iter(%i1, %y1 : !torch.vtensor<[],si64>, !torch.vtensor<[7,9],f32>)
  } : (!torch.int, !torch.bool, !torch.vtensor<[],si64>, !torch.vtensor<[7,9],f32>) -> (!torch.vtensor<[],si64>, !torch.vtensor<[7,9],f32>)
  return %r#1 : !torch.vtensor<[7,9],f32>
}

// -----

// Unchanged: a real for loop (its body's condition is the constant true too).
// CHECK-LABEL: func.func @for_loop
// CHECK-NOT: torch_c.from_i1
// CHECK: torch.prim.Loop %{{.*}}, %true, init(
// SCF-LABEL: func.func @for_loop
// SCF: scf.for
func.func @for_loop(%x: !torch.vtensor<[7,9],f32>) -> !torch.vtensor<[7,9],f32> {
  %int1 = torch.constant.int 1
  %int50 = torch.constant.int 50
  %true = torch.constant.bool true
  %r = torch.prim.Loop %int50, %true, init(%x) {
  ^bb0(%iv: !torch.int, %y: !torch.vtensor<[7,9],f32>):
    %y1 = torch.aten.add.Scalar %y, %iv, %int1 : !torch.vtensor<[7,9],f32>, !torch.int, !torch.int -> !torch.vtensor<[7,9],f32>
    torch.prim.Loop.condition %true, iter(%y1 : !torch.vtensor<[7,9],f32>)
  } : (!torch.int, !torch.bool, !torch.vtensor<[7,9],f32>) -> !torch.vtensor<[7,9],f32>
  return %r : !torch.vtensor<[7,9],f32>
}
