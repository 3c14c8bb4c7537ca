// XFAIL: *
// Bug: the `bufferized` stage promises accumulators hoisted to registers, but
// kiln-hoist-vector-transfers hoists nothing here: the accumulator is a
// memref.subview of the out-param and MLIR's hoisting skips view-like sources
// (see test/passes/hoist-vector-transfers-subview.mlir). The 4 x 16 block is
// read and written back on every k step.
// RUN: kiln-opt %S/Inputs/linear-relu-softmax.mlir --kiln-pipeline=cpu --kiln-threads=2 --kiln-vector-width=8 --stop-after=bufferized | FileCheck %s

// CHECK-LABEL: func.func @linear_relu
// CHECK: scf.forall
// CHECK: %[[INIT:.*]] = vector.transfer_read {{.*}} vector<4x16xf32>
// CHECK: %[[ACC:.*]] = scf.for {{.*}} iter_args(%{{.*}} = %[[INIT]]) -> (vector<4x16xf32>)
// CHECK-COUNT-32: vector.fma
// CHECK: scf.yield
// CHECK: vector.transfer_write %[[ACC]]
