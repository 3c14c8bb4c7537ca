// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-fold-constant-layout)' | FileCheck %s
// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-fold-constant-layout{max-elements=4})' | FileCheck %s --check-prefix=LIMIT
// RUN: not kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-fold-constant-layout{max-elements=many})' 2>&1 | FileCheck %s --check-prefix=ERR

// A transpose of a constant (nn.Linear's weight.T) becomes the transposed constant.
// CHECK-LABEL: func.func @transpose_of_constant
// CHECK-NOT: linalg.transpose
// CHECK: %[[T:.*]] = arith.constant dense<{{\[\[}}1.000000e+00, 5.000000e+00], [2.000000e+00, 6.000000e+00], [3.000000e+00, 7.000000e+00], [4.000000e+00, 8.000000e+00]]> : tensor<4x2xf32>
// CHECK-NOT: linalg.transpose
// CHECK: return %[[T]] : tensor<4x2xf32>
// With max-elements=4 the 8-element result is too big to fold.
// LIMIT-LABEL: func.func @transpose_of_constant
// LIMIT: linalg.transpose
func.func @transpose_of_constant() -> tensor<4x2xf32> {
  %c = arith.constant dense<[[1.0, 2.0, 3.0, 4.0], [5.0, 6.0, 7.0, 8.0]]> : tensor<2x4xf32>
  %e = tensor.empty() : tensor<4x2xf32>
  %t = linalg.transpose ins(%c : tensor<2x4xf32>) outs(%e : tensor<4x2xf32>) permutation = [1, 0]
  return %t : tensor<4x2xf32>
}

// -----

// BatchNorm-style scale w / sqrt(v + 1) on constants is evaluated at compile time.
// CHECK-LABEL: func.func @elementwise_on_constants
// CHECK-NOT: linalg.generic
// CHECK: %[[S:.*]] = arith.constant dense<[5.000000e-01, 0.666666686, 7.500000e-01, 8.000000e-01]> : tensor<4xf32>
// CHECK-NOT: linalg.generic
// CHECK: return %[[S]] : tensor<4xf32>
func.func @elementwise_on_constants() -> tensor<4xf32> {
  %v = arith.constant dense<[3.0, 8.0, 15.0, 24.0]> : tensor<4xf32>
  %w = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %e = tensor.empty() : tensor<4xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
      ins(%v, %w : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %one = arith.constant 1.0 : f32
    %s = arith.addf %a, %one : f32
    %q = math.sqrt %s : f32
    %d = arith.divf %b, %q : f32
    linalg.yield %d : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// Reshapes and pads of constants fold too; a chain folds all the way.
// CHECK-LABEL: func.func @reshape_and_pad_of_constant
// CHECK-NOT: tensor.expand_shape
// CHECK-NOT: tensor.pad
// CHECK: %[[P:.*]] = arith.constant dense<{{\[\[}}0.000000e+00, 0.000000e+00, 0.000000e+00], [1.000000e+00, 2.000000e+00, 0.000000e+00], [3.000000e+00, 4.000000e+00, 0.000000e+00]]> : tensor<3x3xf32>
// CHECK: return %[[P]] : tensor<3x3xf32>
func.func @reshape_and_pad_of_constant() -> tensor<3x3xf32> {
  %c = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %r = tensor.expand_shape %c [[0, 1]] output_shape [2, 2] : tensor<4xf32> into tensor<2x2xf32>
  %zero = arith.constant 0.0 : f32
  %p = tensor.pad %r low[1, 0] high[0, 1] {
  ^bb0(%i: index, %j: index):
    tensor.yield %zero : f32
  } : tensor<2x2xf32> to tensor<3x3xf32>
  return %p : tensor<3x3xf32>
}

// -----

// Must not change: the transpose reads a function argument, not a constant.
// CHECK-LABEL: func.func @transpose_of_argument
// CHECK-SAME: (%[[ARG:.*]]: tensor<2x4xf32>)
// CHECK: %[[T:.*]] = linalg.transpose ins(%[[ARG]] : tensor<2x4xf32>) outs(%{{.*}} : tensor<4x2xf32>) permutation = [1, 0]
// CHECK: return %[[T]]
func.func @transpose_of_argument(%arg: tensor<2x4xf32>) -> tensor<4x2xf32> {
  %e = tensor.empty() : tensor<4x2xf32>
  %t = linalg.transpose ins(%arg : tensor<2x4xf32>) outs(%e : tensor<4x2xf32>) permutation = [1, 0]
  return %t : tensor<4x2xf32>
}

// -----

// Must not change: one operand is not a constant.
// CHECK-LABEL: func.func @elementwise_with_argument
// CHECK: %[[R:.*]] = linalg.generic
// CHECK: arith.mulf
// CHECK: return %[[R]]
func.func @elementwise_with_argument(%x: tensor<4xf32>) -> tensor<4xf32> {
  %w = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %e = tensor.empty() : tensor<4xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
      ins(%x, %w : tensor<4xf32>, tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// -----

// Must not change: a reduction is not elementwise, and math.exp is not a body
// op the folder evaluates.
// CHECK-LABEL: func.func @reduction_and_unsupported_body
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["reduction"]
// CHECK: linalg.generic
// CHECK: math.exp
func.func @reduction_and_unsupported_body(%init: tensor<f32>) -> (tensor<f32>, tensor<4xf32>) {
  %c = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %sum = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> ()>], iterator_types = ["reduction"]}
      ins(%c : tensor<4xf32>) outs(%init : tensor<f32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  } -> tensor<f32>
  %e = tensor.empty() : tensor<4xf32>
  %exp = linalg.generic {indexing_maps = [affine_map<(d0) -> (d0)>, affine_map<(d0) -> (d0)>], iterator_types = ["parallel"]}
      ins(%c : tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%a: f32, %o: f32):
    %x = math.exp %a : f32
    linalg.yield %x : f32
  } -> tensor<4xf32>
  return %sum, %exp : tensor<f32>, tensor<4xf32>
}

// ERR: error: pass 'kiln-fold-constant-layout' option 'max-elements': cannot read 'many'
