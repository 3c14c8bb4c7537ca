// RUN: kiln-opt %s --kiln-pipeline=cpu --kiln-threads=2 --kiln-vector-width=8 --stop-after=bufferized | FileCheck %s

// Level `bufferized` for a depthwise conv + bias + relu feeding a 1x1 conv + bias
// (torch-mlir's form, NCHW): each fusion group updates its band of the output in
// place. The relu writes into the convolution's result (its only operand is its
// output), so bufferization keeps the band in the output buffer: no private
// buffer per band, no copy of the output into it.
// CHECK-LABEL: func.func @depthwise_relu_pointwise
// CHECK-NOT: memref.alloc
// CHECK-NOT: linalg.copy
// CHECK-NOT: memref.copy
// CHECK: return
#map = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @depthwise_relu_pointwise(%arg0: tensor<1x16x32x32xf32>) -> tensor<1x16x32x32xf32> {
  %cst = arith.constant 0.000000e+00 : f32
  %cst_0 = arith.constant dense<[0.000000e+00, 1.250000e-01, 2.500000e-01, 3.750000e-01, 5.000000e-01, 6.250000e-01, 7.500000e-01, 8.750000e-01, 1.000000e+00, 1.125000e+00, 1.250000e+00, 1.375000e+00, 1.500000e+00, 1.625000e+00, 1.750000e+00, 1.875000e+00]> : tensor<16xf32>
  %cst_1 = arith.constant dense<5.000000e-01> : tensor<16x16x1x1xf32>
  %cst_2 = arith.constant dense<[0.000000e+00, 6.250000e-02, 1.250000e-01, 1.875000e-01, 2.500000e-01, 3.125000e-01, 3.750000e-01, 4.375000e-01, 5.000000e-01, 5.625000e-01, 6.250000e-01, 6.875000e-01, 7.500000e-01, 8.125000e-01, 8.750000e-01, 9.375000e-01]> : tensor<16xf32>
  %cst_3 = arith.constant dense<2.500000e-01> : tensor<16x3x3xf32>
  %padded = tensor.pad %arg0 low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%arg1: index, %arg2: index, %arg3: index, %arg4: index):
    tensor.yield %cst : f32
  } : tensor<1x16x32x32xf32> to tensor<1x16x34x34xf32>
  %0 = tensor.empty() : tensor<1x16x32x32xf32>
  %broadcasted = linalg.broadcast ins(%cst_2 : tensor<16xf32>) outs(%0 : tensor<1x16x32x32xf32>) dimensions = [0, 2, 3] 
  %1 = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%padded, %cst_3 : tensor<1x16x34x34xf32>, tensor<16x3x3xf32>) outs(%broadcasted : tensor<1x16x32x32xf32>) -> tensor<1x16x32x32xf32>
  %2 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%1 : tensor<1x16x32x32xf32>) outs(%0 : tensor<1x16x32x32xf32>) {
  ^bb0(%in: f32, %out: f32):
    %4 = arith.cmpf ugt, %in, %cst : f32
    %5 = arith.select %4, %in, %cst : f32
    linalg.yield %5 : f32
  } -> tensor<1x16x32x32xf32>
  %broadcasted_4 = linalg.broadcast ins(%cst_0 : tensor<16xf32>) outs(%0 : tensor<1x16x32x32xf32>) dimensions = [0, 2, 3] 
  %3 = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%2, %cst_1 : tensor<1x16x32x32xf32>, tensor<16x16x1x1xf32>) outs(%broadcasted_4 : tensor<1x16x32x32xf32>) -> tensor<1x16x32x32xf32>
  return %3 : tensor<1x16x32x32xf32>
}
