// Found by kiln's fuzzer (python -m kiln.tools.fuzz --seed 13, case 504),
// from generated matmul; minimized.
// bug: kiln-vectorize: IndexError on linalg.copy
// Fixed: kiln-vectorize reads a partial tile's sizes off its operands (a buffer-level
// linalg.copy has no result).
// FUZZ-FUNCTION: {"kind": "matmul", "input_shapes": [[7, 100], [3, 100], [3]], "recipe": ["matmul", true, "bias_relu"], "rtol": 0.001, "atol": 0.001, "seed": 0, "threads": 2}
// RUN: %PYTHON -m kiln.tools.fuzz.check --exec %s

func.func @f(%a: tensor<7x100xf32>, %b: tensor<3x100xf32>, %bias: tensor<3xf32>) -> (tensor<7x3xf32>) {
  %c_init = arith.constant 0.0 : f32
  %c_e = tensor.empty() : tensor<7x3xf32>
  %c = linalg.fill ins(%c_init : f32) outs(%c_e : tensor<7x3xf32>) -> tensor<7x3xf32>
  %mm = linalg.generic {indexing_maps = [affine_map<(d0, d1, d2) -> (d0, d2)>, affine_map<(d0, d1, d2) -> (d1, d2)>, affine_map<(d0, d1, d2) -> (d0, d1)>], iterator_types = ["parallel", "parallel", "reduction"]}
      ins(%a, %b : tensor<7x100xf32>, tensor<3x100xf32>) outs(%c : tensor<7x3xf32>) {
  ^bb0(%x: f32, %y: f32, %acc: f32):
    %p = arith.mulf %x, %y : f32
    %s = arith.addf %acc, %p : f32
    linalg.yield %s : f32
  } -> tensor<7x3xf32>
  %re = tensor.empty() : tensor<7x3xf32>
  %r = linalg.generic {indexing_maps = [affine_map<(d0, d1) -> (d0, d1)>, affine_map<(d0, d1) -> (d1)>, affine_map<(d0, d1) -> (d0, d1)>], iterator_types = ["parallel", "parallel"]}
      ins(%mm, %bias : tensor<7x3xf32>, tensor<3xf32>) outs(%re : tensor<7x3xf32>) {
  ^bb0(%x: f32, %y: f32, %o: f32):
    %s = arith.addf %x, %y : f32
    %zero = arith.constant 0.0 : f32
    %v = arith.maximumf %s, %zero : f32
    linalg.yield %v : f32
  } -> tensor<7x3xf32>
  return %r : tensor<7x3xf32>
}
