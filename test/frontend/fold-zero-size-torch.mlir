// RUN: kiln-opt %s --pass-pipeline='builtin.module(kiln-fold-zero-size-torch)' | FileCheck %s
// RUN: kiln-opt %s --pass-pipeline='builtin.module(kiln-fold-zero-size-torch, torch-backend-to-linalg-on-tensors-backend-pipeline)' | FileCheck %s --check-prefix=LINALG

// nn.Linear on a [2, 0, 8] input: torch-mlir's view lowering divided by the zero size
// (SIGFPE). Every zero-element value becomes an empty literal; the ops computing them go.
// CHECK-LABEL: func.func @linear
// CHECK-NOT: torch.aten.view
// CHECK-NOT: torch.aten.mm
// CHECK: %[[EMPTY:.*]] = torch.vtensor.literal(dense<> : tensor<2x0x16xf32>) : !torch.vtensor<[2,0,16],f32>
// CHECK-NEXT: return %[[EMPTY]]
// LINALG-LABEL: func.func @linear
// LINALG: arith.constant dense<> : tensor<2x0x16xf32>
func.func @linear(%x: !torch.vtensor<[2,0,8],f32>, %w: !torch.vtensor<[8,16],f32>) -> !torch.vtensor<[2,0,16],f32> {
  %int0 = torch.constant.int 0
  %int2 = torch.constant.int 2
  %int8 = torch.constant.int 8
  %int16 = torch.constant.int 16
  %flat = torch.prim.ListConstruct %int0, %int8 : (!torch.int, !torch.int) -> !torch.list<int>
  %v = torch.aten.view %x, %flat : !torch.vtensor<[2,0,8],f32>, !torch.list<int> -> !torch.vtensor<[0,8],f32>
  %m = torch.aten.mm %v, %w : !torch.vtensor<[0,8],f32>, !torch.vtensor<[8,16],f32> -> !torch.vtensor<[0,16],f32>
  %sizes = torch.prim.ListConstruct %int2, %int0, %int16 : (!torch.int, !torch.int, !torch.int) -> !torch.list<int>
  %r = torch.aten.view %m, %sizes : !torch.vtensor<[0,16],f32>, !torch.list<int> -> !torch.vtensor<[2,0,16],f32>
  return %r : !torch.vtensor<[2,0,16],f32>
}

// A zero-element input read by an op with a non-empty result: the op stays, its
// operand is a literal (the linalg level folds the op, kiln-fold-zero-size).
// CHECK-LABEL: func.func @sum
// CHECK: %[[EMPTY:.*]] = torch.vtensor.literal(dense<> : tensor<0x0xsi64>) : !torch.vtensor<[0,0],si64>
// CHECK: torch.aten.sum %[[EMPTY]]
func.func @sum(%x: !torch.vtensor<[0,0],si64>) -> !torch.vtensor<[],si64> {
  %none = torch.constant.none
  %s = torch.aten.sum %x, %none : !torch.vtensor<[0,0],si64>, !torch.none -> !torch.vtensor<[],si64>
  return %s : !torch.vtensor<[],si64>
}

// Must not change: no zero size.
// CHECK-LABEL: func.func @nonzero
// CHECK: torch.aten.mm
func.func @nonzero(%a: !torch.vtensor<[4,8],f32>, %b: !torch.vtensor<[8,16],f32>) -> !torch.vtensor<[4,16],f32> {
  %m = torch.aten.mm %a, %b : !torch.vtensor<[4,8],f32>, !torch.vtensor<[8,16],f32> -> !torch.vtensor<[4,16],f32>
  return %m : !torch.vtensor<[4,16],f32>
}
