// RUN: kiln-opt %S/Inputs/linear-relu-softmax.mlir --kiln-pipeline=cpu --kiln-threads=2 --kiln-vector-width=8 --stop-after=vectorized | FileCheck %s

// Level `vectorized`: no linalg op is left (every tile was marked), the
// contraction is broadcast-and-FMA steps, exp is a polynomial; still tensors.

// CHECK-LABEL: func.func @linear_relu
// CHECK-SAME: -> tensor<8x16xf32>
// CHECK-NOT: linalg.
// CHECK: scf.forall (%{{.*}}) in (2)
// The accumulator is a loop-carried vector; the epilogue reads it from registers.
// CHECK: scf.for {{.*}} iter_args({{.*}}) -> (vector<4x16xf32>)
// CHECK: vector.transfer_read {{.*}} : tensor<4x8xf32>, vector<4x8xf32>
// CHECK-COUNT-32: vector.fma {{.*}} : vector<16xf32>
// CHECK: arith.addf {{.*}} : vector<4x16xf32>
// CHECK-NEXT: arith.maximumf {{.*}} : vector<4x16xf32>
// CHECK-NOT: linalg.
// CHECK-NOT: vector.contract
// CHECK-NOT: kiln.vectorize
// CHECK: return

// CHECK-LABEL: func.func @row_softmax
// CHECK-NOT: linalg.
// CHECK-NOT: math.exp
// CHECK: vector.multi_reduction <maximumf>, {{.*}} : vector<16xf32> to f32
// CHECK: math.floor {{.*}} : vector<16xf32>
// CHECK: vector.multi_reduction <add>, {{.*}} : vector<16xf32> to f32
// CHECK: arith.divf {{.*}} : vector<16xf32>
// CHECK-NOT: linalg.
// CHECK-NOT: math.exp
// CHECK: return
