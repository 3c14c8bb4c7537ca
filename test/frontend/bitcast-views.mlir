// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-bitcast-views)' | FileCheck %s

// Same element width: one elementwise arith.bitcast (dynamic sizes read with tensor.dim).
// CHECK-LABEL: func.func @same_width
// CHECK-SAME: (%[[X:.*]]: !torch.vtensor<[4,?],f32>)
// CHECK: %[[B:.*]] = torch_c.to_builtin_tensor %[[X]] : !torch.vtensor<[4,?],f32> -> tensor<4x?xf32>
// CHECK: %[[DIM:.*]] = tensor.dim %[[B]]
// CHECK: %[[EMPTY:.*]] = tensor.empty(%[[DIM]]) : tensor<4x?xi32>
// CHECK: %[[CAST:.*]] = linalg.generic {{.*}} ins(%[[B]] : tensor<4x?xf32>) outs(%[[EMPTY]] : tensor<4x?xi32>)
// CHECK: arith.bitcast %{{.*}} : f32 to i32
// CHECK: torch_c.from_builtin_tensor %[[CAST]] : tensor<4x?xi32> -> !torch.vtensor<[4,?],si32>
// CHECK-NOT: torch.aten.view.dtype
func.func @same_width(%x: !torch.vtensor<[4,?],f32>) -> !torch.vtensor<[4,?],si32> {
  %int3 = torch.constant.int 3
  %0 = torch.aten.view.dtype %x, %int3 : !torch.vtensor<[4,?],f32>, !torch.int -> !torch.vtensor<[4,?],si32>
  return %0 : !torch.vtensor<[4,?],si32>
}

// -----

// f32 -> int8: each element's 4 little-endian bytes along a new last dim, merged into it.
// CHECK-LABEL: func.func @narrower
// CHECK: %[[BITS:.*]] = linalg.generic {{.*}} outs(%{{.*}} : tensor<12x1xi32>)
// CHECK: %[[PARTS:.*]] = linalg.generic {{.*}} ins(%[[BITS]] : tensor<12x1xi32>) outs(%{{.*}} : tensor<12x1x4xi8>)
// CHECK: %[[K:.*]] = linalg.index 2
// CHECK: %[[K32:.*]] = arith.index_cast %[[K]] : index to i32
// CHECK: %[[SHIFT:.*]] = arith.muli %[[K32]], %c8_i32
// CHECK: %[[PART:.*]] = arith.shrui %{{.*}}, %[[SHIFT]] : i32
// CHECK: arith.trunci %[[PART]] : i32 to i8
// CHECK: tensor.collapse_shape %[[PARTS]] {{\[}}[0], [1, 2]] : tensor<12x1x4xi8> into tensor<12x4xi8>
func.func @narrower(%x: !torch.vtensor<[12,1],f32>) -> !torch.vtensor<[12,4],si8> {
  %int1 = torch.constant.int 1
  %0 = torch.aten.view.dtype %x, %int1 : !torch.vtensor<[12,1],f32>, !torch.int -> !torch.vtensor<[12,4],si8>
  return %0 : !torch.vtensor<[12,4],si8>
}

// -----

// int8 -> f32: groups of 4 bytes or-ed into one i32 (a reduction), then bitcast.
// CHECK-LABEL: func.func @wider
// CHECK: %[[GROUPS:.*]] = tensor.expand_shape %{{.*}} {{\[}}[0], [1, 2]] output_shape [3, 2, 4] : tensor<3x8xi8> into tensor<3x2x4xi8>
// CHECK: %[[ZERO:.*]] = linalg.fill {{.*}} outs(%{{.*}} : tensor<3x2xi32>)
// CHECK: linalg.generic {{.*}} iterator_types = ["parallel", "parallel", "reduction"]} ins(%[[GROUPS]] : tensor<3x2x4xi8>) outs(%[[ZERO]] : tensor<3x2xi32>)
// CHECK: arith.extui %{{.*}} : i8 to i32
// CHECK: arith.shli
// CHECK: arith.ori
// CHECK: arith.bitcast %{{.*}} : i32 to f32
func.func @wider(%x: !torch.vtensor<[3,8],si8>) -> !torch.vtensor<[3,2],f32> {
  %int6 = torch.constant.int 6
  %0 = torch.aten.view.dtype %x, %int6 : !torch.vtensor<[3,8],si8>, !torch.int -> !torch.vtensor<[3,2],f32>
  return %0 : !torch.vtensor<[3,2],f32>
}

// -----

// Unchanged: bool elements, and a width change of a dynamically shaped tensor
// (torch-mlir then names the op and its line as unsupported).
// CHECK-LABEL: func.func @unchanged
// CHECK: torch.aten.view.dtype %{{.*}} -> !torch.vtensor<[4],i1>
// CHECK: torch.aten.view.dtype %{{.*}} -> !torch.vtensor<[?],si8>
// CHECK-NOT: linalg.generic
func.func @unchanged(%b: !torch.vtensor<[4],ui8>, %y: !torch.vtensor<[?],f32>) -> (!torch.vtensor<[4],i1>, !torch.vtensor<[?],si8>) {
  %int11 = torch.constant.int 11
  %int1 = torch.constant.int 1
  %0 = torch.aten.view.dtype %b, %int11 : !torch.vtensor<[4],ui8>, !torch.int -> !torch.vtensor<[4],i1>
  %1 = torch.aten.view.dtype %y, %int1 : !torch.vtensor<[?],f32>, !torch.int -> !torch.vtensor<[?],si8>
  return %0, %1 : !torch.vtensor<[4],i1>, !torch.vtensor<[?],si8>
}
