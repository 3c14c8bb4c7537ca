// RUN: kiln-opt %S/Inputs/linear-relu-softmax.mlir --kiln-pipeline=cpu --kiln-threads=2 --kiln-vector-width=8 --stop-after=loops -o %t
// RUN: FileCheck %s < %t
// RUN: FileCheck %s --check-prefix=NONE < %t
// RUN: kiln-opt %S/Inputs/linear-relu-softmax.mlir --kiln-pipeline=cpu --kiln-threads=1 --kiln-vector-width=8 --stop-after=loops | FileCheck %s --check-prefix=SERIAL

// Level `loops`: only scf loops and OpenMP regions, vector/arith/math/memref;
// no linalg, no affine, no scf.forall/scf.parallel. The 2-way thread split is
// an omp.wsloop with 2 iterations (the runtime sets the team size).

// NONE-NOT: linalg.
// NONE-NOT: affine.
// NONE-NOT: scf.forall
// NONE-NOT: scf.parallel
// NONE-NOT: tensor

// CHECK-LABEL: func.func @linear_relu
// CHECK-DAG: %[[C0:.*]] = arith.constant 0 : index
// CHECK-DAG: %[[C1:.*]] = arith.constant 1 : index
// CHECK-DAG: %[[C2:.*]] = arith.constant 2 : index
// CHECK: omp.parallel {
// CHECK-NEXT: omp.wsloop {
// CHECK-NEXT: omp.loop_nest (%{{.*}}) : index = (%[[C0]]) to (%[[C2]]) step (%[[C1]]) {
// CHECK: scf.for
// CHECK: vector.fma
// CHECK: omp.yield
// CHECK: omp.terminator
// CHECK: return
// The softmax (8x16) is too small to fork for: no OpenMP.
// CHECK-LABEL: func.func @row_softmax
// CHECK-NOT: omp.parallel
// CHECK: vector.multi_reduction
// CHECK: return

// One thread: plain scf.for loops, no OpenMP.
// SERIAL-NOT: omp.
// SERIAL-NOT: linalg.
// SERIAL-LABEL: func.func @linear_relu
// SERIAL: scf.for
// SERIAL-NOT: omp.
// SERIAL-NOT: linalg.
