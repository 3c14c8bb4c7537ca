// RUN: kiln-opt %s --kiln-pipeline=cpu --kiln-threads=1 --kiln-vector-width=8 -o %t
// RUN: FileCheck %s < %t
// RUN: FileCheck %s --check-prefix=NONE < %t

// A function with dynamic shapes (its argument, a data-dependent temporary)
// through the static pipeline: its loop nests over dynamic memrefs stay in the
// function, since a bare pointer cannot carry their sizes, and every function
// reaches the LLVM dialect (issue 13: "'llvm.call' op '__kiln_nest_0' does not
// reference a valid LLVM function"; issue 12: index_put with bool masks).

// CHECK-LABEL: llvm.func @square
// CHECK-NOT: llvm.call @__kiln_nest
// CHECK: llvm.fmul
// CHECK: llvm.return
// NONE-NOT: {{ (func|scf|cf|memref|vector|arith|math|affine|linalg|tensor)\.[a-z_]+}}
func.func @square(%a: tensor<?x16xf32>) -> tensor<?x16xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %a, %c0 : tensor<?x16xf32>
  %e = tensor.empty(%n) : tensor<?x16xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%a : tensor<?x16xf32>) outs(%e : tensor<?x16xf32>) {
  ^bb0(%x: f32, %o: f32):
    %s = arith.mulf %x, %x : f32
    linalg.yield %s : f32
  } -> tensor<?x16xf32>
  return %r : tensor<?x16xf32>
}
