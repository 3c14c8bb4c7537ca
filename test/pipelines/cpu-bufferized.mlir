// RUN: kiln-opt %S/Inputs/linear-relu-softmax.mlir --kiln-pipeline=cpu --kiln-threads=2 --kiln-vector-width=8 --stop-after=bufferized | FileCheck %s
// RUN: kiln-opt %S/Inputs/linear-relu-softmax.mlir --kiln-pipeline=cpu --kiln-threads=2 --kiln-vector-width=8 --stop-after=bufferized | FileCheck %s --check-prefix=NONE

// Level `bufferized`: no tensors; results are trailing out-params written in
// place; constants are globals; every allocation is freed; no memref.copy.

// NONE-NOT: tensor
// NONE-NOT: memref.copy

// CHECK: memref.global "private" constant @{{.*}} : memref<{{.*}}xf32> = dense<5.000000e-01>

// CHECK-LABEL: func.func @linear_relu
// CHECK-SAME: (%[[X:.*]]: memref<8x16xf32>, %[[BIAS:.*]]: memref<16xf32>, %[[OUT:.*]]: memref<8x16xf32>) {
// CHECK-NOT: memref.alloc
// CHECK: memref.expand_shape %[[OUT]]
// CHECK: scf.forall (%{{.*}}) in (2) {
// CHECK-COUNT-32: vector.fma
// CHECK: vector.transfer_write
// CHECK-NOT: memref.alloc
// CHECK-NOT: memref.copy
// CHECK: return{{$}}

// CHECK-LABEL: func.func @row_softmax
// CHECK-SAME: (%{{.*}}: memref<8x16xf32>, %{{.*}}: memref<8x16xf32>) {
// CHECK-DAG: %[[MAX:.*]] = memref.alloc() {{.*}} : memref<8xf32>
// CHECK-DAG: %[[EXP:.*]] = memref.alloc() {{.*}} : memref<8x16xf32>
// CHECK-NOT: memref.copy
// CHECK-DAG: memref.dealloc %[[MAX]]
// CHECK-DAG: memref.dealloc %[[EXP]]
// CHECK: return{{$}}
