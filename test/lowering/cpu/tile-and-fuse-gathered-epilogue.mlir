// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-tile-and-fuse{threads=2 min-parallel-iterations=1})' | FileCheck %s
// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-tile-and-fuse{threads=2 min-parallel-iterations=1}, canonicalize, cse, kiln-vectorize)' | FileCheck %s --check-prefix=VEC

// A group member that gathers (tensor.extract of a table at an index read from
// a tensor, behind torch-mlir's cf.assert bounds checks) has no vector form:
// kiln-vectorize failed on it with "Attempted to vectorize, but failed" (the
// real-model tier's siglip_vision and deberta_v2). It is tiled and fused with
// its group like any epilogue, but not marked kiln.vectorize: it becomes a
// scalar loop nest, and the rest of the group is still vectorized.

// A contraction group (8x16x16, 4 x 16 register block) whose epilogue adds
// table[ids[row], col], as DeBERTa adds gathered relative-position scores.
#mA = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d2)>
#mB = affine_map<(d0, d1, d2, d3, d4) -> (d2, d1, d4)>
#mC = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d1, d4)>
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#rows = affine_map<(d0, d1, d2, d3) -> (d0, d1)>

// CHECK-LABEL: func.func @contraction_gathered_epilogue
// CHECK: scf.forall
// CHECK: linalg.fill {{{.*}}kiln.vectorize}
// CHECK: linalg.generic
// CHECK-SAME: kiln.blocked = array<i64: 4, 16>, {{.*}}kiln.vectorize
// CHECK: scf.for
// CHECK: %[[GATHER:.*]] = linalg.generic
// CHECK-SAME: ins(%{{.*}}, %{{.*}} : tensor<1x4x1x16xf32>, tensor<1x4xi64>) outs(%{{.*}} : tensor<1x4x1x16xf32>) attrs = {kiln.epilogue} {
// CHECK: tensor.extract
// CHECK: scf.forall.in_parallel
// CHECK-NOT: kiln.t
// CHECK: return

// VEC-LABEL: func.func @contraction_gathered_epilogue
// VEC: scf.forall
// VEC: vector.fma
// VEC: linalg.generic
// VEC-NOT: kiln.vectorize
// VEC: cf.assert
// VEC: tensor.extract
// VEC: scf.forall.in_parallel
// VEC-NOT: kiln.v
// VEC: return
func.func @contraction_gathered_epilogue(%x: tensor<8x16xf32>, %w: tensor<16x16xf32>, %ids: tensor<2x4xi64>, %table: tensor<100x16xf32>) -> tensor<8x16xf32> {
  %zero = arith.constant 0.0 : f32
  %c100 = arith.constant 100 : index
  %c16 = arith.constant 16 : index
  %e = tensor.empty() : tensor<8x16xf32>
  %a = tensor.expand_shape %x [[0, 1], [2]] output_shape [2, 4, 16] : tensor<8x16xf32> into tensor<2x4x16xf32>
  %b = tensor.expand_shape %w [[0], [1, 2]] output_shape [16, 1, 16] : tensor<16x16xf32> into tensor<16x1x16xf32>
  %c = tensor.expand_shape %e [[0, 1], [2, 3]] output_shape [2, 4, 1, 16] : tensor<8x16xf32> into tensor<2x4x1x16xf32>
  %g = "kiln.fusion_group"() ({
    %acc = linalg.fill ins(%zero : f32) outs(%c : tensor<2x4x1x16xf32>) -> tensor<2x4x1x16xf32>
    %mm = linalg.generic {indexing_maps = [#mA, #mB, #mC], iterator_types = ["parallel", "parallel", "reduction", "parallel", "parallel"]}
        ins(%a, %b : tensor<2x4x16xf32>, tensor<16x1x16xf32>) outs(%acc : tensor<2x4x1x16xf32>) attrs = {kiln.blocked = array<i64: 4, 16>} {
    ^bb0(%p: f32, %q: f32, %o: f32):
      %m = arith.mulf %p, %q : f32
      %s = arith.addf %o, %m : f32
      linalg.yield %s : f32
    } -> tensor<2x4x1x16xf32>
    %epi = linalg.generic {indexing_maps = [#id4, #rows, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
        ins(%mm, %ids : tensor<2x4x1x16xf32>, tensor<2x4xi64>) outs(%c : tensor<2x4x1x16xf32>) attrs = {kiln.epilogue} {
    ^bb0(%v: f32, %id: i64, %o: f32):
      %n1 = linalg.index 2 : index
      %n0 = linalg.index 3 : index
      %n1x16 = arith.muli %n1, %c16 : index
      %col = arith.addi %n1x16, %n0 : index
      %row = arith.index_cast %id : i64 to index
      %ok = arith.cmpi slt, %row, %c100 : index
      cf.assert %ok, "index must be smaller than dim size"
      %t = tensor.extract %table[%row, %col] : tensor<100x16xf32>
      %s = arith.addf %v, %t : f32
      linalg.yield %s : f32
    } -> tensor<2x4x1x16xf32>
    "kiln.yield"(%epi) : (tensor<2x4x1x16xf32>) -> ()
  }) {anchor = "linalg.generic", kind = "contraction"} : () -> tensor<2x4x1x16xf32>
  %out = tensor.collapse_shape %g [[0, 1], [2, 3]] : tensor<2x4x1x16xf32> into tensor<8x16xf32>
  return %out : tensor<8x16xf32>
}

// -----

// A convolution group (3x3, 16 -> 32 channels, bias init) whose first epilogue
// adds a position embedding gathered by a constant index buffer, as SigLIP's
// patch embedding does, followed by a relu: the gather's 1x1x4x16 tiles stay
// scalar, the init, the 1-D convolutions and the relu are vectorized.
#id4 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#pix = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2)>
#chan = affine_map<(d0, d1, d2, d3) -> (d3)>

// CHECK-LABEL: func.func @conv_gathered_epilogue
// CHECK: scf.forall
// CHECK: linalg.generic
// CHECK-SAME: outs(%{{.*}} : tensor<1x1x4x16xf32>) attrs = {kiln.vectorize}
// CHECK: linalg.conv_1d_nwc_wcf
// CHECK-SAME: kiln.vectorize
// CHECK: linalg.generic
// CHECK-SAME: ins(%{{.*}}, %{{.*}} : tensor<1x1x4x16xf32>, tensor<1x1x4xi64>) outs(%{{.*}} : tensor<1x1x4x16xf32>) {
// CHECK: tensor.extract
// CHECK: linalg.generic
// CHECK-SAME: outs(%{{.*}} : tensor<1x1x4x16xf32>) attrs = {kiln.vectorize}
// CHECK-NEXT: ^bb0
// CHECK-NEXT: arith.maximumf
// CHECK: scf.forall.in_parallel
// CHECK-NOT: kiln.t
// CHECK: return

// VEC-LABEL: func.func @conv_gathered_epilogue
// VEC: scf.forall
// VEC: vector.fma
// VEC: linalg.generic
// VEC-NOT: kiln.vectorize
// VEC: tensor.extract
// VEC: arith.maximumf {{.*}} : vector<4x16xf32>
// VEC: scf.forall.in_parallel
// VEC-NOT: kiln.v
// VEC: return
func.func @conv_gathered_epilogue(%x: tensor<1x10x10x16xf32>, %w: tensor<3x3x16x32xf32>, %bias: tensor<32xf32>, %ids: tensor<1x8x8xi64>, %table: tensor<64x32xf32>) -> tensor<1x8x8x32xf32> {
  %zero = arith.constant 0.0 : f32
  %c64 = arith.constant 64 : index
  %e = tensor.empty() : tensor<1x8x8x32xf32>
  %g = "kiln.fusion_group"() ({
    %init = linalg.generic {indexing_maps = [#chan, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
        ins(%bias : tensor<32xf32>) outs(%e : tensor<1x8x8x32xf32>) {
    ^bb0(%b0: f32, %o: f32):
      linalg.yield %b0 : f32
    } -> tensor<1x8x8x32xf32>
    %conv = linalg.conv_2d_nhwc_hwcf {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
        ins(%x, %w : tensor<1x10x10x16xf32>, tensor<3x3x16x32xf32>) outs(%init : tensor<1x8x8x32xf32>) -> tensor<1x8x8x32xf32>
    %pos = linalg.generic {indexing_maps = [#id4, #pix, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
        ins(%conv, %ids : tensor<1x8x8x32xf32>, tensor<1x8x8xi64>) outs(%e : tensor<1x8x8x32xf32>) {
    ^bb0(%v: f32, %id: i64, %o: f32):
      %ch = linalg.index 3 : index
      %row = arith.index_cast %id : i64 to index
      %ok = arith.cmpi slt, %row, %c64 : index
      cf.assert %ok, "index must be smaller than dim size"
      %t = tensor.extract %table[%row, %ch] : tensor<64x32xf32>
      %s = arith.addf %v, %t : f32
      linalg.yield %s : f32
    } -> tensor<1x8x8x32xf32>
    %relu = linalg.generic {indexing_maps = [#id4, #id4], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
        ins(%pos : tensor<1x8x8x32xf32>) outs(%e : tensor<1x8x8x32xf32>) {
    ^bb0(%v: f32, %o: f32):
      %r = arith.maximumf %v, %zero : f32
      linalg.yield %r : f32
    } -> tensor<1x8x8x32xf32>
    "kiln.yield"(%relu) : (tensor<1x8x8x32xf32>) -> ()
  }) {anchor = "linalg.conv_2d_nhwc_hwcf", kind = "convolution"} : () -> tensor<1x8x8x32xf32>
  return %g : tensor<1x8x8x32xf32>
}
