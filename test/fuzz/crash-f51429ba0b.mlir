// Found by kiln's fuzzer (python -m kiln.tools.fuzz --seed 13, case 49),
// from generated matmul; minimized.
// crash: SIGSEGV in ir.py:apply_named_sequence (in tile_and_fuse.py:run)
// Fixed by kiln-fold-zero-size (zero-size dimensions give eager's answer): a regression test.
// FUZZ-FUNCTION: {"kind": "matmul", "input_shapes": [[33, 0], [0, 4]], "recipe": ["matmul", false, "none"], "rtol": 0.001, "atol": 0.001, "seed": 0, "threads": 1}
// RUN: %PYTHON -m kiln.tools.fuzz.check --exec %s

func.func @f(%a: tensor<33x0xf32>, %b: tensor<0x4xf32>) -> (tensor<33x4xf32>) {
  %c_init = arith.constant 0.0 : f32
  %c_e = tensor.empty() : tensor<33x4xf32>
  %c = linalg.fill ins(%c_init : f32) outs(%c_e : tensor<33x4xf32>) -> tensor<33x4xf32>
  %mm = linalg.matmul ins(%a, %b : tensor<33x0xf32>, tensor<0x4xf32>)
      outs(%c : tensor<33x4xf32>) -> tensor<33x4xf32>
  return %mm : tensor<33x4xf32>
}
