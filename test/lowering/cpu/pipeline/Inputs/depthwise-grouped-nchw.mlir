// Inputs for depthwise-grouped-vectorized.mlir: depthwise and grouped convolutions with
// their epilogues as torch-mlir emits them (splat weights), results channels-last (permute).
// Generated from nn.Conv2d(..., groups=...) + activation (+ BatchNorm) modules.

#map = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#map1 = affine_map<(d0, d1, d2, d3) -> ()>
func.func @dw3_s1_relu6(%arg0: tensor<1x32x14x14xf32>) -> tensor<1x14x14x32xf32> {
  %cst = arith.constant 0.000000e+00 : f32
  %cst_0 = arith.constant dense<6.000000e+00> : tensor<f32>
  %cst_1 = arith.constant dense<0.000000e+00> : tensor<f32>
  %cst_2 = arith.constant dense<0.25> : tensor<32xf32>
  %cst_3 = arith.constant dense<0.25> : tensor<32x3x3xf32>
  %padded = tensor.pad %arg0 low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%arg1: index, %arg2: index, %arg3: index, %arg4: index):
    tensor.yield %cst : f32
  } : tensor<1x32x14x14xf32> to tensor<1x32x16x16xf32>
  %0 = tensor.empty() : tensor<1x32x14x14xf32>
  %broadcasted = linalg.broadcast ins(%cst_2 : tensor<32xf32>) outs(%0 : tensor<1x32x14x14xf32>) dimensions = [0, 2, 3] 
  %1 = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%padded, %cst_3 : tensor<1x32x16x16xf32>, tensor<32x3x3xf32>) outs(%broadcasted : tensor<1x32x14x14xf32>) -> tensor<1x32x14x14xf32>
  %2 = linalg.generic {indexing_maps = [#map, #map1, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%1, %cst_1 : tensor<1x32x14x14xf32>, tensor<f32>) outs(%0 : tensor<1x32x14x14xf32>) {
  ^bb0(%in: f32, %in_4: f32, %out: f32):
    %5 = arith.cmpf ogt, %in, %in_4 : f32
    %6 = arith.select %5, %in, %in_4 : f32
    linalg.yield %6 : f32
  } -> tensor<1x32x14x14xf32>
  %3 = linalg.generic {indexing_maps = [#map1, #map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%cst_0, %2 : tensor<f32>, tensor<1x32x14x14xf32>) outs(%0 : tensor<1x32x14x14xf32>) {
  ^bb0(%in: f32, %in_4: f32, %out: f32):
    %5 = arith.cmpf olt, %in, %in_4 : f32
    %6 = arith.select %5, %in, %in_4 : f32
    linalg.yield %6 : f32
  } -> tensor<1x32x14x14xf32>
  %4 = tensor.empty() : tensor<1x14x14x32xf32>
  %transposed = linalg.transpose ins(%3 : tensor<1x32x14x14xf32>) outs(%4 : tensor<1x14x14x32xf32>) permutation = [0, 2, 3, 1] 
  return %transposed : tensor<1x14x14x32xf32>
}
// -----

#map = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @dw5_s2_silu(%arg0: tensor<1x48x14x14xf32>) -> tensor<1x7x7x48xf32> {
  %cst = arith.constant 0.000000e+00 : f32
  %cst_0 = arith.constant 1.000000e+00 : f32
  %cst_1 = arith.constant dense<0.25> : tensor<48xf32>
  %cst_2 = arith.constant dense<0.25> : tensor<48x5x5xf32>
  %padded = tensor.pad %arg0 low[0, 0, 2, 2] high[0, 0, 2, 2] {
  ^bb0(%arg1: index, %arg2: index, %arg3: index, %arg4: index):
    tensor.yield %cst : f32
  } : tensor<1x48x14x14xf32> to tensor<1x48x18x18xf32>
  %0 = tensor.empty() : tensor<1x48x7x7xf32>
  %broadcasted = linalg.broadcast ins(%cst_1 : tensor<48xf32>) outs(%0 : tensor<1x48x7x7xf32>) dimensions = [0, 2, 3] 
  %1 = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>} ins(%padded, %cst_2 : tensor<1x48x18x18xf32>, tensor<48x5x5xf32>) outs(%broadcasted : tensor<1x48x7x7xf32>) -> tensor<1x48x7x7xf32>
  %2 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%1 : tensor<1x48x7x7xf32>) outs(%0 : tensor<1x48x7x7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %5 = arith.negf %in : f32
    %6 = math.exp %5 : f32
    %7 = arith.addf %6, %cst_0 : f32
    %8 = arith.divf %cst_0, %7 : f32
    linalg.yield %8 : f32
  } -> tensor<1x48x7x7xf32>
  %3 = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%1, %2 : tensor<1x48x7x7xf32>, tensor<1x48x7x7xf32>) outs(%0 : tensor<1x48x7x7xf32>) {
  ^bb0(%in: f32, %in_3: f32, %out: f32):
    %5 = arith.mulf %in, %in_3 : f32
    linalg.yield %5 : f32
  } -> tensor<1x48x7x7xf32>
  %4 = tensor.empty() : tensor<1x7x7x48xf32>
  %transposed = linalg.transpose ins(%3 : tensor<1x48x7x7xf32>) outs(%4 : tensor<1x7x7x48xf32>) permutation = [0, 2, 3, 1] 
  return %transposed : tensor<1x7x7x48xf32>
}
// -----

#map = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @dw7_s1_gelu(%arg0: tensor<1x96x7x7xf32>) -> tensor<1x7x7x96xf32> {
  %cst = arith.constant 0.000000e+00 : f32
  %cst_0 = arith.constant 0.70710678118654746 : f64
  %cst_1 = arith.constant dense<0.25> : tensor<96xf32>
  %cst_2 = arith.constant dense<0.25> : tensor<96x7x7xf32>
  %cst_3 = arith.constant 5.000000e-01 : f32
  %cst_4 = arith.constant 1.000000e+00 : f32
  %padded = tensor.pad %arg0 low[0, 0, 3, 3] high[0, 0, 3, 3] {
  ^bb0(%arg1: index, %arg2: index, %arg3: index, %arg4: index):
    tensor.yield %cst : f32
  } : tensor<1x96x7x7xf32> to tensor<1x96x13x13xf32>
  %0 = tensor.empty() : tensor<1x96x7x7xf32>
  %broadcasted = linalg.broadcast ins(%cst_1 : tensor<96xf32>) outs(%0 : tensor<1x96x7x7xf32>) dimensions = [0, 2, 3] 
  %1 = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%padded, %cst_2 : tensor<1x96x13x13xf32>, tensor<96x7x7xf32>) outs(%broadcasted : tensor<1x96x7x7xf32>) -> tensor<1x96x7x7xf32>
  %2 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%1 : tensor<1x96x7x7xf32>) outs(%0 : tensor<1x96x7x7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %8 = arith.mulf %in, %cst_3 : f32
    linalg.yield %8 : f32
  } -> tensor<1x96x7x7xf32>
  %3 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%1 : tensor<1x96x7x7xf32>) outs(%0 : tensor<1x96x7x7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %8 = arith.truncf %cst_0 : f64 to f32
    %9 = arith.mulf %in, %8 : f32
    linalg.yield %9 : f32
  } -> tensor<1x96x7x7xf32>
  %4 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%3 : tensor<1x96x7x7xf32>) outs(%0 : tensor<1x96x7x7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %8 = math.erf %in : f32
    linalg.yield %8 : f32
  } -> tensor<1x96x7x7xf32>
  %5 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%4 : tensor<1x96x7x7xf32>) outs(%0 : tensor<1x96x7x7xf32>) {
  ^bb0(%in: f32, %out: f32):
    %8 = arith.addf %in, %cst_4 : f32
    linalg.yield %8 : f32
  } -> tensor<1x96x7x7xf32>
  %6 = linalg.generic {indexing_maps = [#map, #map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%2, %5 : tensor<1x96x7x7xf32>, tensor<1x96x7x7xf32>) outs(%0 : tensor<1x96x7x7xf32>) {
  ^bb0(%in: f32, %in_5: f32, %out: f32):
    %8 = arith.mulf %in, %in_5 : f32
    linalg.yield %8 : f32
  } -> tensor<1x96x7x7xf32>
  %7 = tensor.empty() : tensor<1x7x7x96xf32>
  %transposed = linalg.transpose ins(%6 : tensor<1x96x7x7xf32>) outs(%7 : tensor<1x7x7x96xf32>) permutation = [0, 2, 3, 1] 
  return %transposed : tensor<1x7x7x96xf32>
}
// -----

#map = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
func.func @dw3_d2_relu(%arg0: tensor<1x24x28x28xf32>) -> tensor<1x28x28x24xf32> {
  %cst = arith.constant 0.000000e+00 : f32
  %cst_0 = arith.constant dense<0.25> : tensor<24xf32>
  %cst_1 = arith.constant dense<0.25> : tensor<24x3x3xf32>
  %padded = tensor.pad %arg0 low[0, 0, 2, 2] high[0, 0, 2, 2] {
  ^bb0(%arg1: index, %arg2: index, %arg3: index, %arg4: index):
    tensor.yield %cst : f32
  } : tensor<1x24x28x28xf32> to tensor<1x24x32x32xf32>
  %0 = tensor.empty() : tensor<1x24x28x28xf32>
  %broadcasted = linalg.broadcast ins(%cst_0 : tensor<24xf32>) outs(%0 : tensor<1x24x28x28xf32>) dimensions = [0, 2, 3] 
  %1 = linalg.depthwise_conv_2d_nchw_chw {dilations = dense<2> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%padded, %cst_1 : tensor<1x24x32x32xf32>, tensor<24x3x3xf32>) outs(%broadcasted : tensor<1x24x28x28xf32>) -> tensor<1x24x28x28xf32>
  %2 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%1 : tensor<1x24x28x28xf32>) outs(%0 : tensor<1x24x28x28xf32>) {
  ^bb0(%in: f32, %out: f32):
    %4 = arith.cmpf ugt, %in, %cst : f32
    %5 = arith.select %4, %in, %cst : f32
    linalg.yield %5 : f32
  } -> tensor<1x24x28x28xf32>
  %3 = tensor.empty() : tensor<1x28x28x24xf32>
  %transposed = linalg.transpose ins(%2 : tensor<1x24x28x28xf32>) outs(%3 : tensor<1x28x28x24xf32>) permutation = [0, 2, 3, 1] 
  return %transposed : tensor<1x28x28x24xf32>
}
// -----

#map = affine_map<(d0) -> (d0)>
#map1 = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#map2 = affine_map<(d0, d1, d2, d3) -> (d0, d1, 0, 0)>
func.func @gc3_g8_relu(%arg0: tensor<1x32x14x14xf32>) -> tensor<1x14x14x32xf32> {
  %cst = arith.constant 0.000000e+00 : f32
  %cst_0 = arith.constant 1.000000e+00 : f32
  %cst_1 = arith.constant dense<0.25> : tensor<1x32x1x1xf32>
  %cst_2 = arith.constant dense<0.25> : tensor<1x32x1x1xf32>
  %cst_3 = arith.constant dense<0.25> : tensor<1x32x1x1xf32>
  %cst_4 = arith.constant 1.000000e-05 : f64
  %cst_5 = arith.constant dense<0.25> : tensor<32xf32>
  %cst_6 = arith.constant dense<0.25> : tensor<32xf32>
  %cst_7 = arith.constant dense<0.25> : tensor<8x4x4x3x3xf32>
  %padded = tensor.pad %arg0 low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%arg1: index, %arg2: index, %arg3: index, %arg4: index):
    tensor.yield %cst : f32
  } : tensor<1x32x14x14xf32> to tensor<1x32x16x16xf32>
  %0 = tensor.empty() : tensor<1x32x14x14xf32>
  %broadcasted = linalg.broadcast ins(%cst_6 : tensor<32xf32>) outs(%0 : tensor<1x32x14x14xf32>) dimensions = [0, 2, 3] 
  %expanded = tensor.expand_shape %padded [[0], [1, 2], [3], [4]] output_shape [1, 8, 4, 16, 16] : tensor<1x32x16x16xf32> into tensor<1x8x4x16x16xf32>
  %expanded_8 = tensor.expand_shape %broadcasted [[0], [1, 2], [3], [4]] output_shape [1, 8, 4, 14, 14] : tensor<1x32x14x14xf32> into tensor<1x8x4x14x14xf32>
  %1 = linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>} ins(%expanded, %cst_7 : tensor<1x8x4x16x16xf32>, tensor<8x4x4x3x3xf32>) outs(%expanded_8 : tensor<1x8x4x14x14xf32>) -> tensor<1x8x4x14x14xf32>
  %collapsed = tensor.collapse_shape %1 [[0], [1, 2], [3], [4]] : tensor<1x8x4x14x14xf32> into tensor<1x32x14x14xf32>
  %2 = tensor.empty() : tensor<32xf32>
  %3 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]} ins(%cst_5 : tensor<32xf32>) outs(%2 : tensor<32xf32>) {
  ^bb0(%in: f32, %out: f32):
    %12 = arith.truncf %cst_4 : f64 to f32
    %13 = arith.addf %in, %12 : f32
    linalg.yield %13 : f32
  } -> tensor<32xf32>
  %4 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]} ins(%3 : tensor<32xf32>) outs(%2 : tensor<32xf32>) {
  ^bb0(%in: f32, %out: f32):
    %12 = math.sqrt %in : f32
    linalg.yield %12 : f32
  } -> tensor<32xf32>
  %5 = linalg.generic {indexing_maps = [#map, #map], iterator_types = ["parallel"]} ins(%4 : tensor<32xf32>) outs(%2 : tensor<32xf32>) {
  ^bb0(%in: f32, %out: f32):
    %12 = arith.divf %cst_0, %in : f32
    linalg.yield %12 : f32
  } -> tensor<32xf32>
  %6 = linalg.generic {indexing_maps = [#map1, #map2, #map1], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%collapsed, %cst_3 : tensor<1x32x14x14xf32>, tensor<1x32x1x1xf32>) outs(%0 : tensor<1x32x14x14xf32>) {
  ^bb0(%in: f32, %in_10: f32, %out: f32):
    %12 = arith.subf %in, %in_10 : f32
    linalg.yield %12 : f32
  } -> tensor<1x32x14x14xf32>
  %expanded_9 = tensor.expand_shape %5 [[0, 1, 2, 3]] output_shape [1, 32, 1, 1] : tensor<32xf32> into tensor<1x32x1x1xf32>
  %7 = linalg.generic {indexing_maps = [#map1, #map2, #map1], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%6, %expanded_9 : tensor<1x32x14x14xf32>, tensor<1x32x1x1xf32>) outs(%0 : tensor<1x32x14x14xf32>) {
  ^bb0(%in: f32, %in_10: f32, %out: f32):
    %12 = arith.mulf %in, %in_10 : f32
    linalg.yield %12 : f32
  } -> tensor<1x32x14x14xf32>
  %8 = linalg.generic {indexing_maps = [#map1, #map2, #map1], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%7, %cst_2 : tensor<1x32x14x14xf32>, tensor<1x32x1x1xf32>) outs(%0 : tensor<1x32x14x14xf32>) {
  ^bb0(%in: f32, %in_10: f32, %out: f32):
    %12 = arith.mulf %in, %in_10 : f32
    linalg.yield %12 : f32
  } -> tensor<1x32x14x14xf32>
  %9 = linalg.generic {indexing_maps = [#map1, #map2, #map1], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%8, %cst_1 : tensor<1x32x14x14xf32>, tensor<1x32x1x1xf32>) outs(%0 : tensor<1x32x14x14xf32>) {
  ^bb0(%in: f32, %in_10: f32, %out: f32):
    %12 = arith.addf %in, %in_10 : f32
    linalg.yield %12 : f32
  } -> tensor<1x32x14x14xf32>
  %10 = linalg.generic {indexing_maps = [#map1, #map1], iterator_types = ["parallel", "parallel", "parallel", "parallel"]} ins(%9 : tensor<1x32x14x14xf32>) outs(%0 : tensor<1x32x14x14xf32>) {
  ^bb0(%in: f32, %out: f32):
    %12 = arith.cmpf ugt, %in, %cst : f32
    %13 = arith.select %12, %in, %cst : f32
    linalg.yield %13 : f32
  } -> tensor<1x32x14x14xf32>
  %11 = tensor.empty() : tensor<1x14x14x32xf32>
  %transposed = linalg.transpose ins(%10 : tensor<1x32x14x14xf32>) outs(%11 : tensor<1x14x14x32xf32>) permutation = [0, 2, 3, 1] 
  return %transposed : tensor<1x14x14x32xf32>
}
// -----


func.func @gc3_g4_s2(%arg0: tensor<1x64x14x14xf32>) -> tensor<1x7x7x64xf32> {
  %cst = arith.constant 0.000000e+00 : f32
  %cst_0 = arith.constant dense<0.25> : tensor<64xf32>
  %cst_1 = arith.constant dense<0.25> : tensor<4x16x16x3x3xf32>
  %padded = tensor.pad %arg0 low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%arg1: index, %arg2: index, %arg3: index, %arg4: index):
    tensor.yield %cst : f32
  } : tensor<1x64x14x14xf32> to tensor<1x64x16x16xf32>
  %0 = tensor.empty() : tensor<1x64x7x7xf32>
  %broadcasted = linalg.broadcast ins(%cst_0 : tensor<64xf32>) outs(%0 : tensor<1x64x7x7xf32>) dimensions = [0, 2, 3] 
  %expanded = tensor.expand_shape %padded [[0], [1, 2], [3], [4]] output_shape [1, 4, 16, 16, 16] : tensor<1x64x16x16xf32> into tensor<1x4x16x16x16xf32>
  %expanded_2 = tensor.expand_shape %broadcasted [[0], [1, 2], [3], [4]] output_shape [1, 4, 16, 7, 7] : tensor<1x64x7x7xf32> into tensor<1x4x16x7x7xf32>
  %1 = linalg.conv_2d_ngchw_gfchw {dilations = dense<1> : vector<2xi64>, strides = dense<2> : vector<2xi64>} ins(%expanded, %cst_1 : tensor<1x4x16x16x16xf32>, tensor<4x16x16x3x3xf32>) outs(%expanded_2 : tensor<1x4x16x7x7xf32>) -> tensor<1x4x16x7x7xf32>
  %collapsed = tensor.collapse_shape %1 [[0], [1, 2], [3], [4]] : tensor<1x4x16x7x7xf32> into tensor<1x64x7x7xf32>
  %2 = tensor.empty() : tensor<1x7x7x64xf32>
  %transposed = linalg.transpose ins(%collapsed : tensor<1x64x7x7xf32>) outs(%2 : tensor<1x7x7x64xf32>) permutation = [0, 2, 3, 1] 
  return %transposed : tensor<1x7x7x64xf32>
}
