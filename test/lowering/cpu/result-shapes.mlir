// RUN: kiln-opt %s --pass-pipeline='builtin.module(kiln-result-shapes)' | FileCheck %s

// A dynamic result's sizes as arithmetic on the arguments' sizes; the runtime calls this
// before the entry point to refuse outputs the machine cannot hold.
// CHECK-LABEL: func.func @outer
// CHECK-LABEL: func.func @__kiln_result_shapes_outer
// CHECK-SAME: (%[[X:.*]]: tensor<4x?xf32>) -> tensor<4xi64>
// CHECK-NOT: linalg.
// CHECK-NOT: cf.assert
// CHECK-DAG: %[[C16:.*]] = arith.constant 16 : i64
// CHECK-DAG: %[[C4:.*]] = arith.constant 4 : i64
// CHECK-DAG: %[[N:.*]] = tensor.dim %[[X]], %{{.*}} : tensor<4x?xf32>
// CHECK-DAG: %[[N64:.*]] = arith.index_cast %[[N]] : index to i64
// The result's buffer (its tensor.empty) in bytes: 4 * 4 * n * n.
// CHECK: %[[B1:.*]] = arith.muli %[[N64]], %[[C16]] : i64
// CHECK: %[[BYTES:.*]] = arith.muli %[[B1]], %[[N64]] : i64
// CHECK: %[[SIZES:.*]] = tensor.from_elements %[[C4]], %[[N64]], %[[N64]], %[[BYTES]] : tensor<4xi64>
// CHECK-NEXT: return %[[SIZES]]
func.func @outer(%x: tensor<4x?xf32>) -> tensor<4x?x?xf32> {
  %c1 = arith.constant 1 : index
  %n = tensor.dim %x, %c1 : tensor<4x?xf32>
  %ok = arith.cmpi sge, %n, %c1 : index
  cf.assert %ok, "a check the entry point makes"
  %e = tensor.empty(%n, %n) : tensor<4x?x?xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d1)>, affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d0, d1, d2)>], iterator_types = ["parallel", "parallel", "parallel"]}
      ins(%x, %x : tensor<4x?xf32>, tensor<4x?xf32>) outs(%e : tensor<4x?x?xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %m = arith.mulf %a, %b : f32
    linalg.yield %m : f32
  } -> tensor<4x?x?xf32>
  return %r : tensor<4x?x?xf32>
}

// A size read from the data is unknown before the call: -1 (the result's size and its
// buffer's bytes).
// CHECK-LABEL: func.func @__kiln_result_shapes_from_data
// CHECK-NEXT: %[[UNKNOWN:.*]] = arith.constant dense<-1> : tensor<2xi64>
// CHECK-NEXT: return %[[UNKNOWN]]
func.func @from_data(%x: tensor<4xi64>) -> tensor<?xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.extract %x[%c0] : tensor<4xi64>
  %i = arith.index_cast %n : i64 to index
  %e = tensor.empty(%i) : tensor<?xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<?xf32>) -> tensor<?xf32>
  return %f : tensor<?xf32>
}

// A static result of a dynamic intermediate (x * x^T summed): the intermediate's bytes
// are checked before the call (a huge one segfaulted in malloc's null).
// CHECK-LABEL: func.func @__kiln_result_shapes_reduced
// CHECK-SAME: (%[[X:.*]]: tensor<?x8xf32>) -> tensor<2xi64>
// CHECK-DAG: %[[C8:.*]] = arith.constant 8 : i64
// CHECK-DAG: %[[N:.*]] = tensor.dim %[[X]]
// CHECK-DAG: %[[N64:.*]] = arith.index_cast %[[N]] : index to i64
// CHECK: %[[BYTES:.*]] = arith.muli %[[N64]], %{{.*}} : i64
// CHECK: tensor.from_elements %[[C8]], %[[BYTES]] : tensor<2xi64>
func.func @reduced(%x: tensor<?x8xf32>) -> tensor<8xf32> {
  %c0 = arith.constant 0 : index
  %zero = arith.constant 0.0 : f32
  %n = tensor.dim %x, %c0 : tensor<?x8xf32>
  %e = tensor.empty(%n) : tensor<?x8xf32>
  %sq = linalg.mul ins(%x, %x : tensor<?x8xf32>, tensor<?x8xf32>) outs(%e : tensor<?x8xf32>) -> tensor<?x8xf32>
  %o = tensor.empty() : tensor<8xf32>
  %f = linalg.fill ins(%zero : f32) outs(%o : tensor<8xf32>) -> tensor<8xf32>
  %r = linalg.reduce ins(%sq : tensor<?x8xf32>) outs(%f : tensor<8xf32>) dimensions = [0]
    (%a: f32, %b: f32) {
      %s = arith.addf %a, %b : f32
      linalg.yield %s : f32
    }
  return %r : tensor<8xf32>
}

// Must not change: static results need no check at call time (kiln.buffer_sizes checks
// them at compile time), and private functions are no entry points.
// CHECK-NOT: func.func @__kiln_result_shapes_static
// CHECK-NOT: func.func @__kiln_result_shapes_helper
func.func @static(%x: tensor<?x8xf32>) -> tensor<8xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<8xf32>
  %f = linalg.fill ins(%zero : f32) outs(%e : tensor<8xf32>) -> tensor<8xf32>
  return %f : tensor<8xf32>
}
func.func private @helper(%x: tensor<?xf32>) -> tensor<?xf32> {
  return %x : tensor<?xf32>
}
