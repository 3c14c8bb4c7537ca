// RUN: kiln-opt %s --split-input-file --pass-pipeline='builtin.module(kiln-tile-and-fuse{threads=2})' | FileCheck %s

// A standalone op with fewer than 16384 iterations runs on one thread: an
// OpenMP fork and join would cost more than the op. 8x16 = 128: no forall,
// only the vector tiles.
// CHECK-LABEL: func.func @small
// CHECK-NOT: scf.forall
// CHECK: linalg.generic {{.*}}kiln.vectorize
// CHECK-NOT: scf.forall
// CHECK: return
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @small(%x: tensor<8x16xf32>) -> tensor<8x16xf32> {
  %e = tensor.empty() : tensor<8x16xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<8x16xf32>) outs(%e : tensor<8x16xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.mulf %a, %a : f32
    linalg.yield %s : f32
  } -> tensor<8x16xf32>
  return %r : tensor<8x16xf32>
}

// -----

// 128x128 = 16384 iterations: split across the two threads.
// CHECK-LABEL: func.func @large
// CHECK: scf.forall (%{{.*}}) in (2)
// CHECK: linalg.generic {{.*}}kiln.vectorize
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @large(%x: tensor<128x128xf32>) -> tensor<128x128xf32> {
  %e = tensor.empty() : tensor<128x128xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<128x128xf32>) outs(%e : tensor<128x128xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.mulf %a, %a : f32
    linalg.yield %s : f32
  } -> tensor<128x128xf32>
  return %r : tensor<128x128xf32>
}

// -----

// A k-result generic (Winograd's transforms write 16 or 36 tensors) counts each
// iteration k times: 64x64 = 4096 iterations writing 4 tensors is split like
// 16384 (the 56x56 F(4,3) input transform, 14x14x64 iterations, ran on one
// thread at 2 threads). Its vector tile is one register (8 lanes) per operand,
// not 64 lanes: all its inputs and outputs are live at once.
// CHECK-LABEL: func.func @multi_result
// CHECK: scf.forall (%{{.*}}) in (2)
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<1x8xf32>) outs({{.*}} : tensor<1x8xf32>, tensor<1x8xf32>, tensor<1x8xf32>, tensor<1x8xf32>) attrs = {{.*}}kiln.vectorize
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @multi_result(%x: tensor<64x64xf32>) -> (tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>) {
  %e = tensor.empty() : tensor<64x64xf32>
  %r:4 = linalg.generic {indexing_maps = [#id, #id, #id, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<64x64xf32>) outs(%e, %e, %e, %e : tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>) {
  ^bb0(%a: f32, %o0: f32, %o1: f32, %o2: f32, %o3: f32):
    %s = arith.mulf %a, %a : f32
    %t = arith.addf %a, %a : f32
    %u = arith.subf %a, %s : f32
    linalg.yield %a, %s, %t, %u : f32, f32, f32, f32
  } -> (tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>)
  return %r#0, %r#1, %r#2, %r#3 : tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>, tensor<64x64xf32>
}

// -----

// Inside an scf.forall marked kiln.thread_blocks (Winograd's blocks of tile rows:
// its iterations are the thread split) an op is tiled for one thread: vector
// tiles, no forall of its own, though 128x128 would be split on its own.
// CHECK-LABEL: func.func @in_thread_blocks
// CHECK: scf.forall (%{{.*}}) in (4)
// CHECK-NOT: scf.forall (
// CHECK: linalg.generic {{.*}} ins(%{{.*}} : tensor<1x64xf32>) {{.*}}kiln.vectorize
// CHECK-NOT: scf.forall (
// CHECK: } {kiln.thread_blocks}
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @in_thread_blocks(%x: tensor<4x128x128xf32>) -> tensor<4x128x128xf32> {
  %e = tensor.empty() : tensor<4x128x128xf32>
  %r = scf.forall (%b) in (4) shared_outs(%o = %e) -> (tensor<4x128x128xf32>) {
    %xb = tensor.extract_slice %x[%b, 0, 0] [1, 128, 128] [1, 1, 1] : tensor<4x128x128xf32> to tensor<128x128xf32>
    %eb = tensor.empty() : tensor<128x128xf32>
    %y = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
        ins(%xb : tensor<128x128xf32>) outs(%eb : tensor<128x128xf32>) {
    ^bb0(%a: f32, %u: f32):
      %s = arith.mulf %a, %a : f32
      linalg.yield %s : f32
    } -> tensor<128x128xf32>
    scf.forall.in_parallel {
      tensor.parallel_insert_slice %y into %o[%b, 0, 0] [1, 128, 128] [1, 1, 1] : tensor<128x128xf32> into tensor<4x128x128xf32>
    }
  } {kiln.thread_blocks}
  return %r : tensor<4x128x128xf32>
}
