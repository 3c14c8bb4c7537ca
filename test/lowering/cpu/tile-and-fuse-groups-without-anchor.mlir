// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-tile-and-fuse)' | FileCheck %s

// Groups with no anchor their kind can be scheduled around: a contraction
// group whose contraction was folded away (only its epilogue, a
// linalg.generic, is left, so the verifier's anchor check still passes), a
// convolution group anchored on a generic, a group with two results. Each is
// inlined and its ops are tiled alone (this raised StopIteration, or unpacked
// a generic's shapes as a convolution's; issue 13).

#id = affine_map<(d0, d1) -> (d0, d1)>

// CHECK-LABEL: func.func @contraction_folded_away
// CHECK-NOT: kiln.fusion_group
// CHECK: linalg.generic {{.*}}kiln.vectorize
// CHECK-NOT: kiln.t
// CHECK: return
func.func @contraction_folded_away(%x: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x16xf32>
  %g = "kiln.fusion_group"() ({
    %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%x : tensor<8x16xf32>) outs(%e : tensor<8x16xf32>) attrs = {kiln.epilogue} {
    ^bb0(%v: f32, %o: f32):
      %m = arith.maximumf %v, %zero : f32
      linalg.yield %m : f32
    } -> tensor<8x16xf32>
    "kiln.yield"(%r) : (tensor<8x16xf32>) -> ()
  }) {anchor = "linalg.generic", kind = "contraction"} : () -> tensor<8x16xf32>
  return %g : tensor<8x16xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// CHECK-LABEL: func.func @convolution_without_convolution
// CHECK-NOT: kiln.fusion_group
// CHECK: linalg.generic {{.*}}kiln.vectorize
// CHECK: return
func.func @convolution_without_convolution(%x: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %e = tensor.empty() : tensor<8x16xf32>
  %g = "kiln.fusion_group"() ({
    %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%x : tensor<8x16xf32>) outs(%e : tensor<8x16xf32>) {
    ^bb0(%v: f32, %o: f32):
      %m = arith.mulf %v, %v : f32
      linalg.yield %m : f32
    } -> tensor<8x16xf32>
    "kiln.yield"(%r) : (tensor<8x16xf32>) -> ()
  }) {anchor = "linalg.generic", kind = "convolution"} : () -> tensor<8x16xf32>
  return %g : tensor<8x16xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// Every result of the group is replaced by what its body yields.
// CHECK-LABEL: func.func @two_results
// CHECK-NOT: kiln.fusion_group
// CHECK: %[[A:.*]] = scf.for
// CHECK: linalg.generic {{.*}}kiln.vectorize
// CHECK: arith.mulf
// CHECK: %[[B:.*]] = scf.for
// CHECK: tensor.extract_slice %[[A]]
// CHECK: linalg.generic {{.*}}kiln.vectorize
// CHECK: arith.addf
// CHECK: return %[[A]], %[[B]]
func.func @two_results(%x: tensor<8x16xf32>) -> (tensor<8x16xf32>, tensor<8x16xf32>) {
  %e = tensor.empty() : tensor<8x16xf32>
  %g:2 = "kiln.fusion_group"() ({
    %a = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%x : tensor<8x16xf32>) outs(%e : tensor<8x16xf32>) {
    ^bb0(%v: f32, %o: f32):
      %s = arith.mulf %v, %v : f32
      linalg.yield %s : f32
    } -> tensor<8x16xf32>
    %b = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%a : tensor<8x16xf32>) outs(%e : tensor<8x16xf32>) {
    ^bb0(%v: f32, %o: f32):
      %s = arith.addf %v, %v : f32
      linalg.yield %s : f32
    } -> tensor<8x16xf32>
    "kiln.yield"(%a, %b) : (tensor<8x16xf32>, tensor<8x16xf32>) -> ()
  }) {anchor = "linalg.generic", kind = "elementwise"} : () -> (tensor<8x16xf32>, tensor<8x16xf32>)
  return %g#0, %g#1 : tensor<8x16xf32>, tensor<8x16xf32>
}
