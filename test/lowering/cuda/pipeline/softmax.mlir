// Softmax as torch-mlir emits it (max, exp(x - max), sum, divide): each op is one
// kernel, the temporaries between kernels are buffers the runtime allocates, and
// both row reductions run a warp per row: lane-strided loads, then 5 shuffles.
// RUN: kiln-compile %s --emit=gpu | FileCheck %s --check-prefix=GPU
// RUN: kiln-compile %s --emit=nvvm | FileCheck %s --check-prefix=NVVM
// RUN: kiln-compile %s --emit=ptx | FileCheck %s --check-prefix=PTX

#id3 = affine_map<(d0, d1, d2) -> (d0, d1, d2)>
#row3 = affine_map<(d0, d1, d2) -> (d0, d1)>
#id = affine_map<(d0, d1) -> (d0, d1)>
#col = affine_map<(d0, d1) -> (d0, 0)>

func.func @softmax(%x: tensor<128x256xf32>) -> tensor<128x256xf32> {
  %ninf = arith.constant 0xFF800000 : f32
  %zero = arith.constant 0.000000e+00 : f32
  %0 = tensor.empty() : tensor<128x1xf32>
  %1 = linalg.fill ins(%ninf : f32) outs(%0 : tensor<128x1xf32>) -> tensor<128x1xf32>
  %x3 = tensor.expand_shape %x [[0, 1], [2]] output_shape [128, 1, 256] : tensor<128x256xf32> into tensor<128x1x256xf32>
  %max = linalg.generic {indexing_maps = [#id3, #row3], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%x3 : tensor<128x1x256xf32>) outs(%1 : tensor<128x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %m = arith.maximumf %in, %out : f32
    linalg.yield %m : f32
  } -> tensor<128x1xf32>
  %e = tensor.empty() : tensor<128x256xf32>
  %exp = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x, %max : tensor<128x256xf32>, tensor<128x1xf32>) outs(%e : tensor<128x256xf32>) {
  ^bb0(%in: f32, %m: f32, %out: f32):
    %d = arith.subf %in, %m : f32
    %v = math.exp %d : f32
    linalg.yield %v : f32
  } -> tensor<128x256xf32>
  %2 = linalg.fill ins(%zero : f32) outs(%0 : tensor<128x1xf32>) -> tensor<128x1xf32>
  %sum = linalg.generic {indexing_maps = [#id, #col], iterator_types = ["parallel", "reduction"]}
      ins(%exp : tensor<128x256xf32>) outs(%2 : tensor<128x1xf32>) {
  ^bb0(%in: f32, %out: f32):
    %s = arith.addf %in, %out : f32
    linalg.yield %s : f32
  } -> tensor<128x1xf32>
  %r = linalg.generic {indexing_maps = [#id, #col, #id], iterator_types = ["parallel", "parallel"]}
      ins(%exp, %sum : tensor<128x256xf32>, tensor<128x1xf32>) outs(%e : tensor<128x256xf32>) {
  ^bb0(%in: f32, %s: f32, %out: f32):
    %q = arith.divf %in, %s : f32
    linalg.yield %q : f32
  } -> tensor<128x256xf32>
  return %r : tensor<128x256xf32>
}

// The max and the sum share one buffer (its unit dim dropped by the graph stage): the max is
// dead once exp is computed.
// GPU-LABEL: func.func @softmax
// GPU-SAME: (%[[X:.*]]: memref<128x256xf32>, %[[OUT:.*]]: memref<128x256xf32>)
// GPU: %[[ROW:.*]] = memref.alloc() {{.*}} : memref<128xf32>
// GPU: gpu.launch_func{{.*}}@softmax_kernel::@softmax_kernel blocks in {{.*}} args({{.*}}%[[ROW]] : memref<128xf32>)
// GPU: %[[EXP:.*]] = memref.alloc() {{.*}} : memref<128x256xf32>
// GPU: gpu.launch_func{{.*}}@softmax_kernel_0::@softmax_kernel {{.*}} args(%[[X]] : {{.*}}, %[[ROW]] : {{.*}}, %[[EXP]] : {{.*}})
// GPU: gpu.launch_func{{.*}}@softmax_kernel_1::@softmax_kernel {{.*}} args(%[[EXP]] : {{.*}}, %[[ROW]] : {{.*}})
// GPU: gpu.launch_func{{.*}}@softmax_kernel_2::@softmax_kernel {{.*}} args(%[[EXP]] : {{.*}}, %[[ROW]] : {{.*}}, %[[OUT]] : {{.*}})
// GPU-NEXT: return
// GPU: gpu.module @softmax_kernel {
// GPU: gpu.func @softmax_kernel({{.*}}) kernel attributes {known_block_size = array<i32: 256, 1, 1>, known_grid_size = array<i32: 16, 1, 1>}
// GPU: %[[LANE:.*]] = gpu.lane_id
// GPU: scf.for %{{.*}} = %[[LANE]] to %{{.*}} step %{{.*}} iter_args
// GPU: arith.maximumf
// GPU-COUNT-5: gpu.shuffle xor
// GPU: scf.if
// GPU: gpu.module @softmax_kernel_0
// GPU: gpu.module @softmax_kernel_1
// GPU-COUNT-5: gpu.shuffle xor
// GPU: gpu.module @softmax_kernel_2
// GPU-NOT: linalg.

// NVVM-COUNT-4: llvm.func @softmax_kernel({{.*}}) attributes {{{.*}}nvvm.kernel

// PTX: .visible .entry softmax_kernel(
// PTX-COUNT-5: shfl.sync.bfly.b32
// PTX: .visible .entry softmax_kernel_0(
// PTX: ex2.approx
// PTX: .visible .entry softmax_kernel_1(
// PTX-COUNT-5: shfl.sync.bfly.b32
// PTX: .visible .entry softmax_kernel_2(
// PTX-NOT: .entry
