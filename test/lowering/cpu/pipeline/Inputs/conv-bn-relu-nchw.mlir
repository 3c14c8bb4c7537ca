// Input for cpu-conv-*.mlir: a small NCHW conv + BatchNorm-like per-channel
// affine + relu, in the form torch-mlir emits (pad, [C,1,1] constants, select relu).
#id = affine_map<(d0, d1, d2, d3) -> (d0, d1, d2, d3)>
#chan = affine_map<(d0, d1, d2, d3) -> (d1, 0, 0)>
func.func @conv_bn_relu(%x: tensor<1x4x8x8xf32>) -> tensor<1x16x8x8xf32> {
  %zero = arith.constant 0.0 : f32
  %w = arith.constant dense<0.25> : tensor<16x4x3x3xf32>
  %scale = arith.constant dense<[[[1.0]], [[0.5]], [[2.0]], [[1.5]], [[1.0]], [[0.5]], [[2.0]], [[1.5]], [[1.0]], [[0.5]], [[2.0]], [[1.5]], [[1.0]], [[0.5]], [[2.0]], [[1.5]]]> : tensor<16x1x1xf32>
  %shift = arith.constant dense<[[[0.0]], [[0.1]], [[0.2]], [[0.3]], [[0.4]], [[0.5]], [[0.6]], [[0.7]], [[0.8]], [[0.9]], [[1.0]], [[1.1]], [[1.2]], [[1.3]], [[1.4]], [[1.5]]]> : tensor<16x1x1xf32>
  %padded = tensor.pad %x low[0, 0, 1, 1] high[0, 0, 1, 1] {
  ^bb0(%i: index, %j: index, %k: index, %l: index):
    tensor.yield %zero : f32
  } : tensor<1x4x8x8xf32> to tensor<1x4x10x10xf32>
  %e = tensor.empty() : tensor<1x16x8x8xf32>
  %init = linalg.fill ins(%zero : f32) outs(%e : tensor<1x16x8x8xf32>) -> tensor<1x16x8x8xf32>
  %conv = linalg.conv_2d_nchw_fchw {dilations = dense<1> : vector<2xi64>, strides = dense<1> : vector<2xi64>}
      ins(%padded, %w : tensor<1x4x10x10xf32>, tensor<16x4x3x3xf32>) outs(%init : tensor<1x16x8x8xf32>) -> tensor<1x16x8x8xf32>
  %scaled = linalg.generic {indexing_maps = [#id, #chan, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%conv, %scale : tensor<1x16x8x8xf32>, tensor<16x1x1xf32>) outs(%e : tensor<1x16x8x8xf32>) {
  ^bb0(%v: f32, %s: f32, %o: f32):
    %m = arith.mulf %v, %s : f32
    linalg.yield %m : f32
  } -> tensor<1x16x8x8xf32>
  %shifted = linalg.generic {indexing_maps = [#id, #chan, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%scaled, %shift : tensor<1x16x8x8xf32>, tensor<16x1x1xf32>) outs(%e : tensor<1x16x8x8xf32>) {
  ^bb0(%v: f32, %b: f32, %o: f32):
    %a = arith.addf %v, %b : f32
    linalg.yield %a : f32
  } -> tensor<1x16x8x8xf32>
  %relu = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel", "parallel", "parallel"]}
      ins(%shifted : tensor<1x16x8x8xf32>) outs(%e : tensor<1x16x8x8xf32>) {
  ^bb0(%v: f32, %o: f32):
    %gt = arith.cmpf ugt, %v, %zero : f32
    %r = arith.select %gt, %v, %zero : f32
    linalg.yield %r : f32
  } -> tensor<1x16x8x8xf32>
  return %relu : tensor<1x16x8x8xf32>
}
