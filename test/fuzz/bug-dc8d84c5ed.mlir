// Found by kiln's fuzzer (python -m kiln.tools.fuzz --seed 13, case 465),
// from generated conv; minimized.
// bug: kiln-tile-and-fuse: ValueError on linalg.generic
// Fixed by kiln-fold-zero-size (zero-size dimensions give eager's answer): a regression test.
// FUZZ-FUNCTION: {"kind": "conv", "input_shapes": [[5, 0, 11, 7], [2, 0, 3, 2]], "recipe": ["conv", 2], "rtol": 0.001, "atol": 0.001, "seed": 491, "threads": 1}
// RUN: %PYTHON -m kiln.tools.fuzz.check --exec %s

func.func @f(%x: tensor<5x0x11x7xf32>, %w: tensor<2x0x3x2xf32>) -> (tensor<5x2x5x3xf32>) {
  %c_init = arith.constant 0.0 : f32
  %c_e = tensor.empty() : tensor<5x2x5x3xf32>
  %c = linalg.fill ins(%c_init : f32) outs(%c_e : tensor<5x2x5x3xf32>) -> tensor<5x2x5x3xf32>
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<2> : tensor<2xi64>}
      ins(%x, %w : tensor<5x0x11x7xf32>, tensor<2x0x3x2xf32>) outs(%c : tensor<5x2x5x3xf32>) -> tensor<5x2x5x3xf32>
  return %r : tensor<5x2x5x3xf32>
}
