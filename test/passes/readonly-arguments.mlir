// RUN: kiln-opt %s --pass-pipeline='builtin.module(kiln-readonly-arguments)' | FileCheck %s
// RUN: kiln-opt %s --pass-pipeline='builtin.module(kiln-readonly-arguments, one-shot-bufferize{bufferize-function-boundaries function-boundary-type-conversion=identity-layout-map})' | FileCheck %s --check-prefix=BUF

#id = affine_map<(d0) -> (d0)>

// An argument used as a destination (outs) is marked read-only, keeping its other
// attributes; bufferization then copies it before the op writes.
// CHECK-LABEL: func.func @accumulate
// CHECK-SAME: %{{.*}}: tensor<4xf32> {bufferization.writable = false}
// CHECK-SAME: %{{.*}}: tensor<4xf32> {bufferization.writable = false, kiln.note = 1 : i32}
// CHECK-SAME: %{{.*}}: index)
// BUF-LABEL: func.func @accumulate
// BUF-SAME: (%[[X:.*]]: memref<4xf32>, %[[ACC:.*]]: memref<4xf32> {kiln.note = 1 : i32}
// BUF: %[[COPY:.*]] = memref.alloc()
// BUF: memref.copy %[[ACC]], %[[COPY]]
// BUF: linalg.generic {{.*}} ins(%[[X]] : memref<4xf32>) outs(%[[COPY]] : memref<4xf32>)
// BUF: return %[[COPY]]
func.func @accumulate(%x: tensor<4xf32>, %acc: tensor<4xf32> {kiln.note = 1 : i32}, %n: index) -> tensor<4xf32> {
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<4xf32>) outs(%acc : tensor<4xf32>) {
  ^bb0(%a: f32, %b: f32):
    %s = arith.addf %a, %b : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// An update of a slice of an argument (slice_scatter) writes a copy.
// BUF-LABEL: func.func @insert
// BUF-SAME: (%[[X:.*]]: memref<4x6xf32>, %[[Y:.*]]: memref<4x2xf32>)
// BUF: %[[COPY:.*]] = memref.alloc()
// BUF: memref.copy %[[X]], %[[COPY]]
// BUF: %[[SLICE:.*]] = memref.subview %[[COPY]]
// BUF: memref.copy %[[Y]], %[[SLICE]]
// BUF: return %[[COPY]]
func.func @insert(%x: tensor<4x6xf32>, %y: tensor<4x2xf32>) -> tensor<4x6xf32> {
  %r = tensor.insert_slice %y into %x[0, 1] [4, 2] [1, 1] : tensor<4x2xf32> into tensor<4x6xf32>
  return %r : tensor<4x6xf32>
}

// Must not change: arguments that are only read bufferize without a copy.
// BUF-LABEL: func.func @read_only
// BUF-SAME: (%[[X:.*]]: memref<4xf32>)
// BUF-NOT: memref.copy
// BUF: linalg.generic {{.*}} ins(%[[X]] : memref<4xf32>)
// BUF-NOT: memref.copy
// BUF: return
func.func @read_only(%x: tensor<4xf32>) -> tensor<4xf32> {
  %e = tensor.empty() : tensor<4xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<4xf32>) outs(%e : tensor<4xf32>) {
  ^bb0(%a: f32, %b: f32):
    %s = arith.mulf %a, %a : f32
    linalg.yield %s : f32
  } -> tensor<4xf32>
  return %r : tensor<4xf32>
}

// Must not change: a private helper's arguments (its writes are its callers' to judge).
// CHECK-LABEL: func.func private @helper
// CHECK-SAME: (%{{.*}}: tensor<4xf32>)
// CHECK-NOT: writable
func.func private @helper(%x: tensor<4xf32>) -> tensor<4xf32> {
  return %x : tensor<4xf32>
}
