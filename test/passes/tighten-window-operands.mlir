// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-tighten-window-operands)' | FileCheck %s
// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-tighten-window-operands, func.func(linalg-fold-unit-extent-dims))' | FileCheck %s --check-prefix=FOLD

// A 1 x 3 window over a 1 x 6 input read by 4 output columns with a unit window
// height: the input is sliced to the 1 x 6 it reads along ow + kw (here all of it:
// 4 + 3 - 1), and to the single row oh + kh reaches. Afterwards dropping the unit
// loops verifies (it did not with the 3-row input: the row loop claimed 3).
// CHECK-LABEL: func.func @window
// CHECK-SAME: (%[[X:.*]]: tensor<1x3x6x4xf32>
// CHECK: %[[S:.*]] = tensor.extract_slice %[[X]][0, 0, 0, 0] [1, 1, 6, 4] [1, 1, 1, 1] : tensor<1x3x6x4xf32> to tensor<1x1x6x4xf32>
// CHECK: linalg.generic
// CHECK-SAME: ins(%[[S]], %{{.*}} : tensor<1x1x6x4xf32>, tensor<1x3x4x8xf32>)
// FOLD-LABEL: func.func @window
// FOLD: linalg.generic
#in = affine_map<(n, oh, ow, f, kh, kw, c) -> (n, oh + kh, ow + kw, c)>
#fl = affine_map<(n, oh, ow, f, kh, kw, c) -> (kh, kw, c, f)>
#out = affine_map<(n, oh, ow, f, kh, kw, c) -> (n, oh, ow, f)>
func.func @window(%x: tensor<1x3x6x4xf32>, %w: tensor<1x3x4x8xf32>, %o: tensor<1x1x4x8xf32>) -> tensor<1x1x4x8xf32> {
  %r = linalg.generic {indexing_maps = [#in, #fl, #out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %w : tensor<1x3x6x4xf32>, tensor<1x3x4x8xf32>) outs(%o : tensor<1x1x4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x1x4x8xf32>
  return %r : tensor<1x1x4x8xf32>
}

// -----

// Strided windows (2 * oh + kh) reach row 2 * (3 - 1) + 2 = 6: 7 of 9 rows; inputs read by
// plain loops, and windows that already fit, are left alone.
// CHECK-LABEL: func.func @strided
// CHECK: tensor.extract_slice %{{.*}}[0, 0] [7, 4] [1, 1] : tensor<9x4xf32> to tensor<7x4xf32>
// CHECK-NOT: tensor.extract_slice
// CHECK-LABEL: func.func @exact
// CHECK-NOT: tensor.extract_slice
#sin = affine_map<(oh, f, kh, c) -> (oh * 2 + kh, c)>
#sfl = affine_map<(oh, f, kh, c) -> (kh, c, f)>
#sout = affine_map<(oh, f, kh, c) -> (oh, f)>
func.func @strided(%x: tensor<9x4xf32>, %w: tensor<3x4x8xf32>, %o: tensor<3x8xf32>) -> tensor<3x8xf32> {
  %r = linalg.generic {indexing_maps = [#sin, #sfl, #sout], iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%x, %w : tensor<9x4xf32>, tensor<3x4x8xf32>) outs(%o : tensor<3x8xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  } -> tensor<3x8xf32>
  return %r : tensor<3x8xf32>
}
func.func @exact(%x: tensor<7x4xf32>, %w: tensor<3x4x8xf32>, %o: tensor<3x8xf32>) -> tensor<3x8xf32> {
  %r = linalg.generic {indexing_maps = [#sin, #sfl, #sout], iterator_types = ["parallel", "parallel", "reduction", "reduction"]}
      ins(%x, %w : tensor<7x4xf32>, tensor<3x4x8xf32>) outs(%o : tensor<3x8xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  } -> tensor<3x8xf32>
  return %r : tensor<3x8xf32>
}
