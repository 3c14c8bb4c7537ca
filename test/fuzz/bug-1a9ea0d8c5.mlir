// Found by kiln's fuzzer (python -m kiln.tools.fuzz --seed 1911, case 1529),
// from test/lowering/cpu/decompose-grouped-convs.mlir (dim); minimized.
// bug: kiln-fuse-elementwise: MLIRError
// Fixed: kiln-tighten-window-operands slices a generic's input to the range its
// window sums reach; unit-dim folding turned ow + kw (unit kw) into ow, which then
// claimed the input's 6 columns against the output's 4 (CUDA: an internal error;
// CPU: the valid program refused in kiln-vectorize). Values: test_window_operands.py.
// RUN: %PYTHON -m kiln.tools.fuzz.check kiln-compile %s --target=cuda --emit=ptx -o /dev/null
// RUN: %PYTHON -m kiln.tools.fuzz.check kiln-compile %s --target=cpu -o %t.so

#in = affine_map<(n, oh, ow, g, f, kh, kw, c) -> (n, oh + kh, ow + kw, g, c)>
#fl = affine_map<(n, oh, ow, g, f, kh, kw, c) -> (g, kh, kw, c, f)>
#fl2 = affine_map<(n, oh, ow, g, f, kh, kw, c) -> (g, f, kh, kw, c)>
#out = affine_map<(n, oh, ow, g, f, kh, kw, c) -> (n, oh, ow, g, f)>
func.func @not_a_tile(%x: tensor<1x5x5x2x4xf32>, %w: tensor<2x1x1x4x8xf32>, %o: tensor<1x1x1x2x8xf32>,
                      %x2: tensor<1x1x6x1x4xf32>, %w2: tensor<1x8x1x1x4xf32>, %o2: tensor<1x1x4x1x8xf32>) -> (tensor<1x1x1x2x8xf32>, tensor<1x1x4x1x8xf32>) {
  %r = linalg.generic {indexing_maps = [#in, #fl, #out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %w : tensor<1x5x5x2x4xf32>, tensor<2x1x1x4x8xf32>) outs(%o : tensor<1x1x1x2x8xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x1x1x2x8xf32>
  %r2 = linalg.generic {indexing_maps = [#in, #fl2, #out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x2, %w2 : tensor<1x1x6x1x4xf32>, tensor<1x8x1x1x4xf32>) outs(%o2 : tensor<1x1x4x1x8xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  } -> tensor<1x1x4x1x8xf32>
  return %r, %r2 : tensor<1x1x1x2x8xf32>, tensor<1x1x4x1x8xf32>
}
