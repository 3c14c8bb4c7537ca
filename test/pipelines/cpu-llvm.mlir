// RUN: kiln-opt %S/Inputs/linear-relu-softmax.mlir --kiln-pipeline=cpu --kiln-threads=2 --kiln-vector-width=8 --stop-after=llvm | FileCheck %s
// RUN: kiln-opt %S/Inputs/linear-relu-softmax.mlir --kiln-pipeline=cpu --kiln-threads=2 --kiln-vector-width=8 --stop-after=llvm | FileCheck %s --check-prefix=NONE

// Level `llvm`: only the LLVM dialect (and OpenMP ops holding LLVM ops);
// entry points take bare pointers, the out-param last.

// CHECK-DAG: llvm.func @malloc(i64) -> !llvm.ptr
// CHECK-DAG: llvm.func @free(!llvm.ptr)
// CHECK-LABEL: llvm.func @linear_relu(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr) {
// CHECK: omp.parallel {
// CHECK: llvm.intr.fmuladd({{.*}}) : (vector<16xf32>, vector<16xf32>, vector<16xf32>) -> vector<16xf32>
// CHECK: llvm.return
// CHECK-LABEL: llvm.func @row_softmax(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr) {
// CHECK: llvm.call @malloc
// CHECK: llvm.intr.vector.reduce.fmaximum
// CHECK: llvm.call @free
// CHECK: llvm.return
// No op of a higher dialect is left anywhere (a space before the name, so
// that llvm.intr.vector.* does not count).
// NONE-NOT: {{ (func|scf|cf|memref|vector|arith|math|affine|linalg|tensor|ub)\.[a-z_]+}}
