// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-fold-matmul-extensions,canonicalize)' | FileCheck %s

// Both operands are f16 tensors extended to f32 (PyTorch's half Linear): the
// matmul reads the f16 tensors and keeps its f32 accumulator; the extensions die.
// CHECK-LABEL: func.func @both_extended
// CHECK-SAME: (%[[A:.*]]: tensor<16x32xf16>, %[[B:.*]]: tensor<32x8xf16>)
// CHECK-NOT: arith.extf
// CHECK: linalg.matmul ins(%[[A]], %[[B]] : tensor<16x32xf16>, tensor<32x8xf16>) outs(%{{.*}} : tensor<16x8xf32>)
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @both_extended(%a: tensor<16x32xf16>, %b: tensor<32x8xf16>) -> tensor<16x8xf32> {
  %zero = arith.constant 0.0 : f32
  %ea = tensor.empty() : tensor<16x32xf32>
  %a32 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%a : tensor<16x32xf16>) outs(%ea : tensor<16x32xf32>) {
  ^bb0(%in: f16, %out: f32):
    %x = arith.extf %in : f16 to f32
    linalg.yield %x : f32
  } -> tensor<16x32xf32>
  %eb = tensor.empty() : tensor<32x8xf32>
  %b32 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%b : tensor<32x8xf16>) outs(%eb : tensor<32x8xf32>) {
  ^bb0(%in: f16, %out: f32):
    %x = arith.extf %in : f16 to f32
    linalg.yield %x : f32
  } -> tensor<32x8xf32>
  %e = tensor.empty() : tensor<16x8xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<16x8xf32>) -> tensor<16x8xf32>
  %r = linalg.matmul ins(%a32, %b32 : tensor<16x32xf32>, tensor<32x8xf32>) outs(%c : tensor<16x8xf32>) -> tensor<16x8xf32>
  return %r : tensor<16x8xf32>
}

// -----

// Only one operand is extended: folding it alone would give an f32 x f16 product; kept.
// CHECK-LABEL: func.func @one_extended
// CHECK: arith.extf
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<16x32xf32>, tensor<32x8xf32>)
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @one_extended(%a: tensor<16x32xf16>, %b: tensor<32x8xf32>) -> tensor<16x8xf32> {
  %zero = arith.constant 0.0 : f32
  %ea = tensor.empty() : tensor<16x32xf32>
  %a32 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%a : tensor<16x32xf16>) outs(%ea : tensor<16x32xf32>) {
  ^bb0(%in: f16, %out: f32):
    %x = arith.extf %in : f16 to f32
    linalg.yield %x : f32
  } -> tensor<16x32xf32>
  %e = tensor.empty() : tensor<16x8xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<16x8xf32>) -> tensor<16x8xf32>
  %r = linalg.matmul ins(%a32, %b : tensor<16x32xf32>, tensor<32x8xf32>) outs(%c : tensor<16x8xf32>) -> tensor<16x8xf32>
  return %r : tensor<16x8xf32>
}

// -----

// An extension that also computes (here a scale) is not a plain extension; kept.
// CHECK-LABEL: func.func @extension_with_math
// CHECK: arith.mulf
// CHECK: linalg.matmul ins(%{{.*}}, %{{.*}} : tensor<16x32xf32>, tensor<32x8xf32>)
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @extension_with_math(%a: tensor<16x32xf16>, %b: tensor<32x8xf16>) -> tensor<16x8xf32> {
  %zero = arith.constant 0.0 : f32
  %two = arith.constant 2.0 : f32
  %ea = tensor.empty() : tensor<16x32xf32>
  %a32 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%a : tensor<16x32xf16>) outs(%ea : tensor<16x32xf32>) {
  ^bb0(%in: f16, %out: f32):
    %x = arith.extf %in : f16 to f32
    %y = arith.mulf %x, %two : f32
    linalg.yield %y : f32
  } -> tensor<16x32xf32>
  %eb = tensor.empty() : tensor<32x8xf32>
  %b32 = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]} ins(%b : tensor<32x8xf16>) outs(%eb : tensor<32x8xf32>) {
  ^bb0(%in: f16, %out: f32):
    %x = arith.extf %in : f16 to f32
    linalg.yield %x : f32
  } -> tensor<32x8xf32>
  %e = tensor.empty() : tensor<16x8xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<16x8xf32>) -> tensor<16x8xf32>
  %r = linalg.matmul ins(%a32, %b32 : tensor<16x32xf32>, tensor<32x8xf32>) outs(%c : tensor<16x8xf32>) -> tensor<16x8xf32>
  return %r : tensor<16x8xf32>
}
