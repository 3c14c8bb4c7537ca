// Replaying one stage on the previous stage's output (kiln-opt on stdin)
// gives exactly what the whole pipeline gives at that stage.
// RUN: kiln-opt %S/Inputs/linear-relu-softmax.mlir --kiln-pipeline=cpu --kiln-threads=2 --kiln-vector-width=8 --stop-after=grouped \
// RUN:   | kiln-opt --kiln-pipeline=cpu --kiln-threads=2 --kiln-vector-width=8 --start-at=tiled --stop-after=tiled -o %t.replayed
// RUN: kiln-opt %S/Inputs/linear-relu-softmax.mlir --kiln-pipeline=cpu --kiln-threads=2 --kiln-vector-width=8 --stop-after=tiled -o %t.direct
// RUN: diff %t.direct %t.replayed
// RUN: FileCheck %s < %t.replayed
// The later stages replay from the `tiled` text to the end just as well.
// RUN: kiln-opt %t.replayed --kiln-pipeline=cpu --kiln-threads=2 --kiln-vector-width=8 --start-at=vectorized | FileCheck %s --check-prefix=LLVM

// CHECK-LABEL: func.func @linear_relu
// CHECK-NOT: kiln.fusion_group
// CHECK: scf.forall (%{{.*}}) in (2)
// CHECK: kiln.blocked = array<i64: 4, 16>, {{.*}}kiln.vectorize
// CHECK-LABEL: func.func @row_softmax
// CHECK: linalg.generic {{.*}}kiln.vectorize

// LLVM-NOT: func.func
// LLVM: llvm.func @linear_relu
// LLVM: llvm.func @row_softmax
