// Found by kiln's fuzzer (python -m kiln.tools.fuzz --seed 13, case 31),
// from generated conv; minimized.
// crash: SIGSEGV in ir.py:apply_named_sequence (in gpu_tile.py:run)
// Fixed by kiln-fold-zero-size (zero-size dimensions give eager's answer): a regression test.
// RUN: %PYTHON -m kiln.tools.fuzz.check kiln-compile %s --target=cuda --emit=ptx -o /dev/null

func.func @f(%x: tensor<7x0x9x7xf32>, %w: tensor<2x0x2x3xf32>) -> (tensor<7x2x8x5xf32>) {
  %c_init = arith.constant 0.0 : f32
  %c_e = tensor.empty() : tensor<7x2x8x5xf32>
  %c = linalg.fill ins(%c_init : f32) outs(%c_e : tensor<7x2x8x5xf32>) -> tensor<7x2x8x5xf32>
  %r = linalg.conv_2d_nchw_fchw {dilations = dense<1> : tensor<2xi64>, strides = dense<1> : tensor<2xi64>}
      ins(%x, %w : tensor<7x0x9x7xf32>, tensor<2x0x2x3xf32>) outs(%c : tensor<7x2x8x5xf32>) -> tensor<7x2x8x5xf32>
  return %r : tensor<7x2x8x5xf32>
}
