// The `bufferized` stage keeps accumulators in registers: the 4 x 16 block is
// read once before the k loop, carried through iter_args, written once after.
// RUN: kiln-opt %S/Inputs/linear-relu-softmax.mlir --kiln-pipeline=cpu --kiln-threads=2 --kiln-vector-width=8 --stop-after=bufferized | FileCheck %s

// CHECK-LABEL: func.func @linear_relu
// CHECK: scf.forall
// CHECK: %[[INIT:.*]] = vector.transfer_read {{.*}} vector<4x16xf32>
// CHECK: %[[ACC:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[INIT]]) -> (vector<4x16xf32>)
// CHECK-COUNT-32: vector.fma
// CHECK: scf.yield
// CHECK: vector.transfer_write %[[ACC]]
