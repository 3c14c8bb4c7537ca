// RUN: kiln-opt %S/Inputs/linear-relu-softmax.mlir --kiln-pipeline=cpu --kiln-threads=2 --kiln-vector-width=8 --stop-after=bufferized -o %t
// RUN: FileCheck %s < %t
// RUN: FileCheck %s --check-prefix=NONE < %t

// Level `bufferized`: no tensors; results are trailing out-params written in
// place; constants and static temporaries are module globals (no allocation
// per call); no memref.copy.

// NONE-NOT: tensor
// NONE-NOT: memref.copy
// NONE-NOT: memref.alloc

// CHECK-DAG: memref.global "private" @[[$TMP1:__kiln_buffer_[0-9]+]] : memref<8xf32> = uninitialized {alignment = 64 : i64}
// CHECK-DAG: memref.global "private" @[[$TMP2:__kiln_buffer_[0-9]+]] : memref<8x16xf32> = uninitialized {alignment = 64 : i64}
// CHECK-DAG: memref.global "private" constant @{{.*}} : memref<{{.*}}xf32> = dense<5.000000e-01>

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
// CHECK-DAG: memref.get_global @[[$TMP1]] : memref<8xf32>
// CHECK-DAG: memref.get_global @[[$TMP2]] : memref<8x16xf32>
// CHECK-NOT: memref.dealloc
// CHECK: return{{$}}
