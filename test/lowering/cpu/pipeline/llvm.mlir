// RUN: kiln-opt %S/Inputs/linear-relu-softmax.mlir --kiln-pipeline=cpu --kiln-threads=2 --kiln-vector-width=8 --stop-after=llvm -o %t
// RUN: FileCheck %s < %t
// RUN: FileCheck %s --check-prefix=NONE < %t

// Level `llvm`: only the LLVM dialect (and OpenMP ops holding LLVM ops);
// entry points take bare pointers, the out-param last.

// CHECK-DAG: llvm.mlir.global private @[[$TMP1:__kiln_buffer_[0-9]+]]() {{.*}} : !llvm.array<8 x f32>
// CHECK-DAG: llvm.mlir.global private @[[$TMP2:__kiln_buffer_[0-9]+]]() {{.*}} : !llvm.array<8 x array<16 x f32>>
// Each loop nest is a function of its own (internal, noinline), called in
// order; globals are passed to it as noalias, aligned pointers.
// CHECK-LABEL: llvm.func @linear_relu(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr) {
// CHECK: llvm.mlir.addressof @__constant_8x16xf32 : !llvm.ptr
// CHECK: llvm.call @[[$MATMUL:__kiln_nest_[0-9]+]](
// CHECK-NEXT: llvm.return
// CHECK-LABEL: llvm.func @row_softmax(%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr) {
// CHECK-DAG: llvm.mlir.addressof @[[$TMP1]] : !llvm.ptr
// CHECK-DAG: llvm.mlir.addressof @[[$TMP2]] : !llvm.ptr
// CHECK: llvm.call @[[FIRST:__kiln_nest_[0-9]+]](
// CHECK: llvm.return
// CHECK: llvm.func internal @[[$MATMUL]](%{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr, %{{.*}}: !llvm.ptr {llvm.align = 64 : i64, llvm.noalias}, %{{.*}}: !llvm.ptr) attributes {no_inline
// CHECK: omp.parallel {
// CHECK: llvm.intr.fmuladd({{.*}}) : (vector<16xf32>, vector<16xf32>, vector<16xf32>) -> vector<16xf32>
// CHECK: llvm.return
// CHECK: llvm.func internal @[[FIRST]](%{{.*}}: !llvm.ptr {llvm.align = 64 : i64, llvm.noalias}) attributes {no_inline
// CHECK: llvm.intr.vector.reduce.fmaximum
// No op of a higher dialect is left anywhere (a space before the name, so
// that llvm.intr.vector.* does not count).
// NONE-NOT: {{ (func|scf|cf|memref|vector|arith|math|affine|linalg|tensor|ub)\.[a-z_]+}}
// Temporaries are static: no malloc/free per call.
// NONE-NOT: @malloc
// NONE-NOT: @free
