// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-vectorize)' | FileCheck %s
// RUN: not kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-vectorize{unroll=2})' 2>&1 | FileCheck %s --check-prefix=ERR

// Input: innermost tiles as kiln-tile-and-fuse leaves them.
#mA = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d2)>
#mB = affine_map<(d0, d1, d2, d3, d4) -> (d2, d1, d4)>
#mC = affine_map<(d0, d1, d2, d3, d4) -> (d0, d3, d1, d4)>

// One 4 x 16 register block updated over k = 8: the unit dims are dropped and
// the block becomes 4 * 8 = 32 broadcast-and-FMA steps on vector<16xf32>
// accumulators; no vector.contract or outer product is left.
// CHECK-LABEL: func.func @register_block
// CHECK-NOT: linalg.generic
// CHECK: %[[A:.*]] = vector.transfer_read {{.*}} : tensor<4x8xf32>, vector<4x8xf32>
// CHECK: %[[B:.*]] = vector.transfer_read {{.*}} : tensor<8x16xf32>, vector<8x16xf32>
// CHECK: %[[C:.*]] = vector.transfer_read {{.*}} : tensor<4x16xf32>, vector<4x16xf32>
// CHECK: %[[A00:.*]] = vector.extract %[[A]][0, 0] : f32 from vector<4x8xf32>
// CHECK: %[[A00V:.*]] = vector.broadcast %[[A00]] : f32 to vector<16xf32>
// CHECK: vector.fma %{{.*}}, %[[A00V]], %{{.*}} : vector<16xf32>
// CHECK-COUNT-31: vector.fma {{.*}} : vector<16xf32>
// CHECK-NOT: vector.fma
// CHECK: vector.transfer_write {{.*}} : vector<4x16xf32>, tensor<4x16xf32>
// CHECK-NOT: vector.contract
// CHECK-NOT: vector.outerproduct
// CHECK-NOT: kiln.vectorize
// CHECK: return
func.func @register_block(%a: tensor<1x4x8xf32>, %b: tensor<8x1x16xf32>, %c: tensor<1x4x1x16xf32>) -> tensor<1x4x1x16xf32> {
  %r = linalg.generic {indexing_maps = [#mA, #mB, #mC], iterator_types = ["parallel", "parallel", "reduction", "parallel", "parallel"]}
      ins(%a, %b : tensor<1x4x8xf32>, tensor<8x1x16xf32>) outs(%c : tensor<1x4x1x16xf32>) attrs = {kiln.blocked = array<i64: 4, 16>, kiln.vectorize} {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %m = arith.mulf %x, %y : f32
    %s = arith.addf %o, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x4x1x16xf32>
  return %r : tensor<1x4x1x16xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>

// An epilogue tile (bias + relu) becomes whole-tile vector arithmetic.
// CHECK-LABEL: func.func @epilogue
// CHECK-SAME: (%[[X:.*]]: tensor<4x16xf32>, %[[BIAS:.*]]: tensor<16xf32>, %[[O:.*]]: tensor<4x16xf32>)
// CHECK-NOT: linalg.generic
// CHECK-DAG: %[[XV:.*]] = vector.transfer_read %[[X]]{{.*}} : tensor<4x16xf32>, vector<4x16xf32>
// CHECK-DAG: %[[BV:.*]] = vector.transfer_read %[[BIAS]]{{.*}} : tensor<16xf32>, vector<16xf32>
// CHECK: %[[BB:.*]] = vector.broadcast %[[BV]] : vector<16xf32> to vector<4x16xf32>
// CHECK: %[[SUM:.*]] = arith.addf %[[XV]], %[[BB]] : vector<4x16xf32>
// CHECK: %[[RELU:.*]] = arith.maximumf %[[SUM]], %{{.*}} : vector<4x16xf32>
// CHECK: %[[W:.*]] = vector.transfer_write %[[RELU]], %[[O]]
// CHECK: return %[[W]]
func.func @epilogue(%x: tensor<4x16xf32>, %bias: tensor<16xf32>, %o: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %zero = arith.constant 0.0 : f32
  %r = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %bias : tensor<4x16xf32>, tensor<16xf32>) outs(%o : tensor<4x16xf32>) attrs = {kiln.vectorize} {
  ^bb0(%v: f32, %b: f32, %out: f32):
    %s = arith.addf %v, %b : f32
    %m = arith.maximumf %s, %zero : f32
    linalg.yield %m : f32
  } -> tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// A partial last tile (kiln.vector_width) is vectorized with a mask.
// CHECK-LABEL: func.func @partial_tile
// CHECK: %[[MASK:.*]] = vector.create_mask %{{.*}} : vector<8xi1>
// CHECK: vector.transfer_read {{.*}}, %{{.*}}, %{{.*}} {in_bounds = [true, true]} : tensor<1x?xf32>, vector<1x8xf32>
// CHECK: arith.negf {{.*}} : vector<8xf32>
// CHECK: vector.transfer_write {{.*}} : vector<1x8xf32>, tensor<1x?xf32>
// CHECK-NOT: kiln.vector_width
func.func @partial_tile(%x: tensor<1x?xf32>, %o: tensor<1x?xf32>) -> tensor<1x?xf32> {
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<1x?xf32>) outs(%o : tensor<1x?xf32>) attrs = {kiln.vectorize, kiln.vector_width = 8 : i64} {
  ^bb0(%v: f32, %out: f32):
    %n = arith.negf %v : f32
    linalg.yield %n : f32
  } -> tensor<1x?xf32>
  return %r : tensor<1x?xf32>
}

// -----

// Partial last tiles of buffer-level copies and fills (as kiln-vectorize-copies
// tiles what bufferization made): the op has no result, so the vector sizes
// come from its operands (issue 12: an IndexError on op.results[0]).
// CHECK-LABEL: func.func @partial_copy_on_buffers
// CHECK: %[[MASK:.*]] = vector.create_mask %{{.*}} : vector<8xi1>
// CHECK: %[[V:.*]] = vector.transfer_read {{.*}} : memref<1x?xf32, strided<[100, 1], offset: ?>>, vector<1x8xf32>
// CHECK: vector.transfer_write %[[V]], {{.*}} : vector<1x8xf32>, memref<1x?xf32, strided<[100, 1], offset: ?>>
// CHECK-NOT: linalg.copy
// CHECK-NOT: kiln.vector_width
func.func @partial_copy_on_buffers(%x: memref<1x?xf32, strided<[100, 1], offset: ?>>, %o: memref<1x?xf32, strided<[100, 1], offset: ?>>) {
  linalg.copy {kiln.vectorize, kiln.vector_width = 8 : i64} ins(%x : memref<1x?xf32, strided<[100, 1], offset: ?>>) outs(%o : memref<1x?xf32, strided<[100, 1], offset: ?>>)
  return
}

// CHECK-LABEL: func.func @partial_fill_on_buffers
// CHECK: vector.create_mask %{{.*}} : vector<8xi1>
// CHECK: vector.transfer_write {{.*}} : vector<3x8xf32>, memref<3x?xf32>
// CHECK-NOT: linalg.fill
func.func @partial_fill_on_buffers(%o: memref<3x?xf32>) {
  %zero = arith.constant 0.0 : f32
  linalg.fill {kiln.vectorize, kiln.vector_width = 8 : i64} ins(%zero : f32) outs(%o : memref<3x?xf32>)
  return
}

// -----

#id = affine_map<(d0, d1) -> (d0, d1)>

// Must not change: an op without kiln.vectorize is left for the loops stage.
// CHECK-LABEL: func.func @unmarked
// CHECK: %[[R:.*]] = linalg.generic
// CHECK: arith.negf %{{.*}} : f32
// CHECK-NOT: vector.
// CHECK: return %[[R]]
func.func @unmarked(%x: tensor<4x16xf32>, %o: tensor<4x16xf32>) -> tensor<4x16xf32> {
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<4x16xf32>) outs(%o : tensor<4x16xf32>) {
  ^bb0(%v: f32, %out: f32):
    %n = arith.negf %v : f32
    linalg.yield %n : f32
  } -> tensor<4x16xf32>
  return %r : tensor<4x16xf32>
}

// ERR: error: pass 'kiln-vectorize' has no option 'unroll'
