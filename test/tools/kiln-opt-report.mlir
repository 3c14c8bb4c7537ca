// kiln-opt --report writes the compile report: each stage's time and op count, and the
// fusion groups; with a textual pipeline each pass is a stage.
// RUN: kiln-opt %s --kiln-pipeline=cpu --kiln-threads=1 --report=%t.html -o /dev/null
// RUN: FileCheck %s --input-file=%t.html
// RUN: kiln-opt %s --pass-pipeline='builtin.module(canonicalize, kiln-fuse-elementwise)' --report=%t-passes.html -o /dev/null
// RUN: FileCheck %s --input-file=%t-passes.html --check-prefix=PASSES
// RUN: not kiln-opt %s --split-input-file --report=%t-split.html 2>&1 | FileCheck %s --check-prefix=SPLIT

// CHECK: <title>kiln compile report: kiln-opt-report</title>
// CHECK: pipeline <code>cpu</code>
// CHECK: <section id="stages">
// CHECK: <tr><td>graph</td><td class="num">{{[0-9]+\.[0-9]+}}</td>{{.*}}<td class="num">{{[0-9]+}}</td></tr>
// CHECK-NEXT: <tr><td>grouped</td>
// CHECK-NEXT: <tr><td>tiled</td>
// CHECK-NEXT: <tr><td>vectorized</td>
// CHECK-NEXT: <tr><td>bufferized</td>
// CHECK-NEXT: <tr><td>loops</td>
// CHECK-NEXT: <tr><td>llvm</td>
// CHECK: <section id="fusion-groups">
// CHECK: <td>contraction</td>{{.*}}kiln-opt-report.mlir:[[# @LINE + 13]]
// CHECK: <section id="loop-nests">{{.*}}Compile with <code>profile=True</code>

// PASSES: <tr><td>01-canonicalize</td>
// PASSES-NEXT: <tr><td>02-kiln-fuse-elementwise</td>
// PASSES: No fusion groups

// SPLIT: kiln-opt: --report takes one input, without --split-input-file or IR printing

func.func @dense(%x: tensor<8x32xf32>, %w: tensor<32x64xf32>, %b: tensor<64xf32>) -> tensor<8x64xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8x64xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<8x64xf32>) -> tensor<8x64xf32>
  %m = linalg.matmul ins(%x, %w : tensor<8x32xf32>, tensor<32x64xf32>) outs(%f : tensor<8x64xf32>) -> tensor<8x64xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(i, j) -> (i, j)>, affine_map<(i, j) -> (j)>, affine_map<(i, j) -> (i, j)>],
                       iterator_types = ["parallel", "parallel"]}
      ins(%m, %b : tensor<8x64xf32>, tensor<64xf32>) outs(%e : tensor<8x64xf32>) {
  ^bb0(%v: f32, %c: f32, %o: f32):
    %s = arith.addf %v, %c : f32
    %t = arith.maximumf %s, %zero : f32
    linalg.yield %t : f32
  } -> tensor<8x64xf32>
  return %r : tensor<8x64xf32>
}
