// canonicalize folds the expand_shape(collapse_shape(x)) pairs the rewrite
// leaves, so the checks can follow the values from op to op.
// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-block-epilogues, canonicalize)' | FileCheck %s
// RUN: not kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-block-epilogues{depth=1})' 2>&1 | FileCheck %s --check-prefix=ERR

// Input: kiln-pack-contractions' output for matmul + bias + relu, a 4 x 16 block.
#mA = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d2)>
#mB = affine_map<(d0, d1, d2, d3, d4) -> (d2, d1, d4)>
#mC = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d1, d4)>
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>

// Bias and relu are rewritten over the blocked loops (m1, m0, n1, n0), one
// after the other, and only the last result is collapsed back to 8 x 16.
// CHECK: #[[$ID4:.*]] = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
// CHECK: #[[$BIAS_MAP:.*]] = affine_map<(d0, d1, d2, d3) -> (d2, d3)>
// CHECK-LABEL: func.func @matmul_bias_relu
// CHECK-SAME: %[[BIAS:[a-zA-Z0-9_]+]]: tensor<16xf32>
// CHECK: %[[BLOCKED:.*]] = linalg.generic
// CHECK-SAME: kiln.blocked = array<i64: 4, 16>
// CHECK: %[[BIAS2:.*]] = tensor.expand_shape %[[BIAS]] {{\[\[}}0, 1]] output_shape [1, 16] : tensor<16xf32> into tensor<1x16xf32>
// CHECK: %[[ADD:.*]] = linalg.generic {indexing_maps = [#[[$ID4]], #[[$BIAS_MAP]], #[[$ID4]]], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
// CHECK-SAME: ins(%[[BLOCKED]], %[[BIAS2]] : tensor<2x4x1x16xf32>, tensor<1x16xf32>) outs(%{{.*}} : tensor<2x4x1x16xf32>)
// CHECK-SAME: kiln.epilogue
// CHECK: arith.addf
// CHECK: %[[RELU:.*]] = linalg.generic {indexing_maps = [#[[$ID4]], #[[$ID4]]]
// CHECK-SAME: ins(%[[ADD]] : tensor<2x4x1x16xf32>)
// CHECK-SAME: kiln.epilogue
// CHECK: arith.maximumf
// CHECK: %[[OUT:.*]] = tensor.collapse_shape %[[RELU]] {{\[\[}}0, 1], [2, 3]] : tensor<2x4x1x16xf32> into tensor<8x16xf32>
// CHECK: return %[[OUT]]
func.func @matmul_bias_relu(%x: tensor<8x16xf32>, %w: tensor<16x16xf32>, %bias: tensor<16xf32>) -> tensor<8x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x16xf32>
  %acc = linalg.fill ins(%zero : f32) outs(%e : tensor<8x16xf32>) -> tensor<8x16xf32>
  %a = tensor.expand_shape %x [[0, 1], [2]] output_shape [2, 4, 16] : tensor<8x16xf32> into tensor<2x4x16xf32>
  %b = tensor.expand_shape %w [[0], [1, 2]] output_shape [16, 1, 16] : tensor<16x16xf32> into tensor<16x1x16xf32>
  %c = tensor.expand_shape %acc [[0, 1], [2, 3]] output_shape [2, 4, 1, 16] : tensor<8x16xf32> into tensor<2x4x1x16xf32>
  %blocked = linalg.generic {indexing_maps = [#mA, #mB, #mC], iterator_types = ["parallel", "parallel", "reduction", "parallel", "parallel"]}
      ins(%a, %b : tensor<2x4x16xf32>, tensor<16x1x16xf32>) outs(%c : tensor<2x4x1x16xf32>) attrs = {kiln.blocked = array<i64: 4, 16>} {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<2x4x1x16xf32>
  %mm = tensor.collapse_shape %blocked [[0, 1], [2, 3]] : tensor<2x4x1x16xf32> into tensor<8x16xf32>
  %biased = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%mm, %bias : tensor<8x16xf32>, tensor<16xf32>) outs(%e : tensor<8x16xf32>) {
  ^bb0(%v: f32, %b0: f32, %o: f32):
    %s = arith.addf %v, %b0 : f32
    linalg.yield %s : f32
  } -> tensor<8x16xf32>
  %relu = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%biased : tensor<8x16xf32>) outs(%e : tensor<8x16xf32>) {
  ^bb0(%v: f32, %o: f32):
    %r = arith.maximumf %v, %zero : f32
    linalg.yield %r : f32
  } -> tensor<8x16xf32>
  return %relu : tensor<8x16xf32>
}

// -----

#mA = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d2)>
#mB = affine_map<(d0, d1, d2, d3, d4) -> (d2, d1, d4)>
#mC = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d1, d4)>
#id = affine_map<(d0, d1) -> (d0, d1)>
#tr = affine_map<(d0, d1) -> (d1, d0)>
#rows = affine_map<(d0, d1) -> (d0)>

// Must not change: a reduction over the result (a row sum) and a consumer that
// reads it transposed stay in the 2-D iteration space, unmarked.
// CHECK-LABEL: func.func @not_epilogues
// CHECK: %[[BLOCKED:.*]] = linalg.generic
// CHECK-SAME: kiln.blocked
// CHECK: %[[MM:.*]] = tensor.collapse_shape %[[BLOCKED]]
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "reduction"]
// CHECK-SAME: ins(%[[MM]] : tensor<16x16xf32>)
// CHECK-NOT: kiln.epilogue
// CHECK: linalg.generic
// CHECK-SAME: iterator_types = ["parallel", "parallel"]
// CHECK-SAME: ins(%[[MM]] : tensor<16x16xf32>)
// CHECK-NOT: kiln.epilogue
// CHECK: return
func.func @not_epilogues(%a: tensor<4x4x16xf32>, %b: tensor<16x1x16xf32>, %c: tensor<4x4x1x16xf32>, %init: tensor<16xf32>) -> (tensor<16xf32>, tensor<16x16xf32>) {
  %blocked = linalg.generic {indexing_maps = [#mA, #mB, #mC], iterator_types = ["parallel", "parallel", "reduction", "parallel", "parallel"]}
      ins(%a, %b : tensor<4x4x16xf32>, tensor<16x1x16xf32>) outs(%c : tensor<4x4x1x16xf32>) attrs = {kiln.blocked = array<i64: 4, 16>} {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<4x4x1x16xf32>
  %mm = tensor.collapse_shape %blocked [[0, 1], [2, 3]] : tensor<4x4x1x16xf32> into tensor<16x16xf32>
  %sum = linalg.generic {indexing_maps = [#id, #rows], iterator_types = ["parallel", "reduction"]}
      ins(%mm : tensor<16x16xf32>) outs(%init : tensor<16xf32>) {
  ^bb0(%v: f32, %o: f32):
    %r = arith.addf %v, %o : f32
    linalg.yield %r : f32
  } -> tensor<16xf32>
  %e = tensor.empty() : tensor<16x16xf32>
  %t = linalg.generic {indexing_maps = [#tr, #id], iterator_types = ["parallel", "parallel"]}
      ins(%mm : tensor<16x16xf32>) outs(%e : tensor<16x16xf32>) {
  ^bb0(%v: f32, %o: f32):
    %r = arith.negf %v : f32
    linalg.yield %r : f32
  } -> tensor<16x16xf32>
  return %sum, %t : tensor<16xf32>, tensor<16x16xf32>
}

// -----

#mA = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d2)>
#mB = affine_map<(d0, d1, d2, d3, d4) -> (d2, d1, d4)>
#mC = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d1, d4)>
#id = affine_map<(d0, d1) -> (d0, d1)>

// An epilogue that reads its loop indices (here v + row - col, as from a fused
// torch.arange): over the blocked loops (m1, m0, n1, n0) = (2, 4, 2, 16) the
// row is m1 * 4 + m0 and the column n1 * 16 + n0. The body used to be moved
// unchanged, so `linalg.index 0` read m1 and `linalg.index 1` read m0 (wrong
// results, no error).
// CHECK-LABEL: func.func @epilogue_reads_indices
// CHECK-DAG: %[[C4:.*]] = arith.constant 4 : index
// CHECK-DAG: %[[C16:.*]] = arith.constant 16 : index
// CHECK: linalg.generic
// CHECK-SAME: kiln.blocked
// CHECK: linalg.generic
// CHECK-SAME: kiln.epilogue
// CHECK: %[[M1:.*]] = linalg.index 0 : index
// CHECK: %[[M1X4:.*]] = arith.muli %[[M1]], %[[C4]] : index
// CHECK: %[[M0:.*]] = linalg.index 1 : index
// CHECK: %[[ROW:.*]] = arith.addi %[[M1X4]], %[[M0]] : index
// CHECK: %[[N1:.*]] = linalg.index 2 : index
// CHECK: %[[N1X16:.*]] = arith.muli %[[N1]], %[[C16]] : index
// CHECK: %[[N0:.*]] = linalg.index 3 : index
// CHECK: %[[COL:.*]] = arith.addi %[[N1X16]], %[[N0]] : index
// CHECK: arith.subi %[[ROW]], %[[COL]] : index
// CHECK-NOT: linalg.index
// CHECK: tensor.collapse_shape
func.func @epilogue_reads_indices(%a: tensor<2x4x16xf32>, %b: tensor<16x2x16xf32>, %c: tensor<2x4x2x16xf32>) -> tensor<8x32xf32> {
  %blocked = linalg.generic {indexing_maps = [#mA, #mB, #mC], iterator_types = ["parallel", "parallel", "reduction", "parallel", "parallel"]}
      ins(%a, %b : tensor<2x4x16xf32>, tensor<16x2x16xf32>) outs(%c : tensor<2x4x2x16xf32>) attrs = {kiln.blocked = array<i64: 4, 16>} {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<2x4x2x16xf32>
  %mm = tensor.collapse_shape %blocked [[0, 1], [2, 3]] : tensor<2x4x2x16xf32> into tensor<8x32xf32>
  %e = tensor.empty() : tensor<8x32xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%mm : tensor<8x32xf32>) outs(%e : tensor<8x32xf32>) {
  ^bb0(%v: f32, %o: f32):
    %row = linalg.index 0 : index
    %col = linalg.index 1 : index
    %d = arith.subi %row, %col : index
    %i = arith.index_cast %d : index to i64
    %f = arith.sitofp %i : i64 to f32
    %s = arith.addf %v, %f : f32
    linalg.yield %s : f32
  } -> tensor<8x32xf32>
  return %r : tensor<8x32xf32>
}

// -----

// A contraction padded from 7 to 8 rows, used through a slice of its first 7 rows:
// the epilogue runs over the padded blocked loops. The residual (which has rows)
// is padded with zeros, the bias (which has none) is not, a tensor.empty destination
// is made at the padded size, and the result is sliced back to 7 rows.
#pA = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d2)>
#pB = affine_map<(d0, d1, d2, d3, d4) -> (d2, d1, d4)>
#pC = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d1, d4)>
#pid = affine_map<(d0, d1) -> (d0, d1)>
#prow = affine_map<(d0, d1) -> (d1)>
// CHECK-LABEL: func.func @padded_rows
// CHECK-SAME: %[[RES:[a-zA-Z0-9_]+]]: tensor<7x16xf32>, %[[BIAS:[a-zA-Z0-9_]+]]: tensor<16xf32>
// CHECK: %[[BLOCKED:.*]] = linalg.generic
// CHECK-SAME: kiln.blocked = array<i64: 4, 16>
// CHECK: %[[PRES:.*]] = tensor.pad %[[RES]] low[0, 0] high[1, 0]
// CHECK: %[[RES4:.*]] = tensor.expand_shape %[[PRES]] {{.*}} output_shape [2, 4, 1, 16] : tensor<8x16xf32> into tensor<2x4x1x16xf32>
// CHECK: %[[EPI:.*]] = linalg.generic
// CHECK-SAME: ins(%[[BLOCKED]], %{{.*}}, %[[RES4]] : tensor<2x4x1x16xf32>, tensor<1x16xf32>, tensor<2x4x1x16xf32>) outs(%{{.*}} : tensor<2x4x1x16xf32>)
// CHECK-SAME: kiln.epilogue
// CHECK: %[[FULL:.*]] = tensor.collapse_shape %[[EPI]] {{.*}} into tensor<8x16xf32>
// CHECK: %[[OUT:.*]] = tensor.extract_slice %[[FULL]][0, 0] [7, 16] [1, 1] : tensor<8x16xf32> to tensor<7x16xf32>
// CHECK: return %[[OUT]]
func.func @padded_rows(%a: tensor<2x4x16xf32>, %b: tensor<16x1x16xf32>, %c: tensor<2x4x1x16xf32>, %res: tensor<7x16xf32>, %bias: tensor<16xf32>) -> tensor<7x16xf32> {
  %blocked = linalg.generic {indexing_maps = [#pA, #pB, #pC], iterator_types = ["parallel", "parallel", "reduction", "parallel", "parallel"]}
      ins(%a, %b : tensor<2x4x16xf32>, tensor<16x1x16xf32>) outs(%c : tensor<2x4x1x16xf32>) attrs = {kiln.blocked = array<i64: 4, 16>} {
  ^bb0(%p: f32, %q: f32, %o: f32):
    %m = arith.mulf %p, %q : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<2x4x1x16xf32>
  %full = tensor.collapse_shape %blocked [[0, 1], [2, 3]] : tensor<2x4x1x16xf32> into tensor<8x16xf32>
  %mm = tensor.extract_slice %full[0, 0] [7, 16] [1, 1] : tensor<8x16xf32> to tensor<7x16xf32>
  %e = tensor.empty() : tensor<7x16xf32>
  %r = linalg.generic {indexing_maps = [#pid, #prow, #pid, #pid], iterator_types = ["parallel", "parallel"]}
      ins(%mm, %bias, %res : tensor<7x16xf32>, tensor<16xf32>, tensor<7x16xf32>) outs(%e : tensor<7x16xf32>) {
  ^bb0(%v: f32, %b0: f32, %r0: f32, %o: f32):
    %s = arith.addf %v, %b0 : f32
    %t = arith.addf %s, %r0 : f32
    linalg.yield %t : f32
  } -> tensor<7x16xf32>
  return %r : tensor<7x16xf32>
}

// -----

// The same slice read by an integer division: the padded rows would divide by zero,
// so the epilogue is left as it is.
#qA = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d2)>
#qB = affine_map<(d0, d1, d2, d3, d4) -> (d2, d1, d4)>
#qC = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d1, d4)>
#qid = affine_map<(d0, d1) -> (d0, d1)>
// CHECK-LABEL: func.func @padded_rows_integer_division
// CHECK: tensor.extract_slice
// CHECK: linalg.generic
// CHECK-NOT: kiln.epilogue
// CHECK: arith.divsi
func.func @padded_rows_integer_division(%a: tensor<2x4x16xi32>, %b: tensor<16x1x16xi32>, %c: tensor<2x4x1x16xi32>, %d: tensor<7x16xi32>) -> tensor<7x16xi32> {
  %blocked = linalg.generic {indexing_maps = [#qA, #qB, #qC], iterator_types = ["parallel", "parallel", "reduction", "parallel", "parallel"]}
      ins(%a, %b : tensor<2x4x16xi32>, tensor<16x1x16xi32>) outs(%c : tensor<2x4x1x16xi32>) attrs = {kiln.blocked = array<i64: 4, 16>} {
  ^bb0(%p: i32, %q: i32, %o: i32):
    %m = arith.muli %p, %q : i32
    %s = arith.addi %o, %m : i32
    linalg.yield %s : i32
  } -> tensor<2x4x1x16xi32>
  %full = tensor.collapse_shape %blocked [[0, 1], [2, 3]] : tensor<2x4x1x16xi32> into tensor<8x16xi32>
  %mm = tensor.extract_slice %full[0, 0] [7, 16] [1, 1] : tensor<8x16xi32> to tensor<7x16xi32>
  %e = tensor.empty() : tensor<7x16xi32>
  %r = linalg.generic {indexing_maps = [#qid, #qid, #qid], iterator_types = ["parallel", "parallel"]}
      ins(%d, %mm : tensor<7x16xi32>, tensor<7x16xi32>) outs(%e : tensor<7x16xi32>) {
  ^bb0(%v: i32, %w: i32, %o: i32):
    %q = arith.divsi %v, %w : i32
    linalg.yield %q : i32
  } -> tensor<7x16xi32>
  return %r : tensor<7x16xi32>
}

// ERR: error: pass 'kiln-block-epilogues' has no option 'depth'
