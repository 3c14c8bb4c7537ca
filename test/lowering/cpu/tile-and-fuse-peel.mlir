// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-tile-and-fuse{threads=1},canonicalize)' | FileCheck %s
// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-tile-and-fuse{threads=1},canonicalize,kiln-vectorize)' | FileCheck %s --check-prefix=VEC

// A row of 197 floats (no vector width divides it): 12 full tiles of 16 lanes,
// then the remainder of 5 peeled into a loop of its own. Every tile is static:
// no kiln.vector_width (a mask on every tile ran 3x slower on softmax rows).
// CHECK-LABEL: func.func @row_max
// CHECK: scf.for %{{.*}} = %c0 to %c192 step %c16
// CHECK: linalg.generic {{.*}}ins(%{{.*}} : tensor<1x16xf32>) outs(%{{.*}} : tensor<1xf32>) attrs = {{{.*}}kiln.vectorize
// (The remainder loop runs once: canonicalize leaves its body.)
// CHECK-NOT: scf.for
// CHECK: linalg.generic {{.*}}ins(%{{.*}} : tensor<1x5xf32>) outs(%{{.*}} : tensor<1xf32>) attrs = {{{.*}}kiln.vectorize
// CHECK-NOT: kiln.vector_width
// The vector code: a 16-lane and a 5-lane reduction, no masks.
// VEC-LABEL: func.func @row_max
// VEC-NOT: vector.mask
// VEC: vector.multi_reduction <maximumf>, %{{.*}}, %{{.*}} [0] : vector<16xf32> to f32
// VEC-NOT: vector.mask
// VEC: vector.multi_reduction <maximumf>, %{{.*}}, %{{.*}} [0] : vector<5xf32> to f32
// VEC-NOT: vector.mask
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d0)>
func.func @row_max(%x: tensor<12x197xf32>) -> tensor<12xf32> {
  %ninf = arith.constant 0xFF800000 : f32
  %e = tensor.empty() : tensor<12xf32>
  %init = linalg.fill ins(%ninf : f32) outs(%e : tensor<12xf32>) -> tensor<12xf32>
  %r = linalg.generic {indexing_maps = [#id, #row], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<12x197xf32>) outs(%init : tensor<12xf32>) {
  ^bb0(%a: f32, %o: f32):
    %m = arith.maximumf %a, %o : f32
    linalg.yield %m : f32
  } -> tensor<12xf32>
  return %r : tensor<12xf32>
}

// -----

// An elementwise op over rows of 100: 6 tiles of 16 and a peeled 4.
// CHECK-LABEL: func.func @row_exp
// CHECK: scf.for %{{.*}} = %c0 to %c96 step %c16
// CHECK: linalg.generic {{.*}}tensor<1x16xf32>
// CHECK-NOT: scf.for
// CHECK: linalg.generic {{.*}}tensor<1x4xf32>
// CHECK-NOT: kiln.vector_width
// VEC-LABEL: func.func @row_exp
// VEC-NOT: vector.mask
// VEC: math.exp %{{.*}} : vector<16xf32>
// VEC: math.exp %{{.*}} : vector<4xf32>
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @row_exp(%x: tensor<3x100xf32>) -> tensor<3x100xf32> {
  %e = tensor.empty() : tensor<3x100xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<3x100xf32>) outs(%e : tensor<3x100xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = math.exp %a : f32
    linalg.yield %s : f32
  } -> tensor<3x100xf32>
  return %r : tensor<3x100xf32>
}
