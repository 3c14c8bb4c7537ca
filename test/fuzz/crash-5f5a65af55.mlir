// Found by kiln's fuzzer (python -m kiln.tools.fuzz --seed 13, case 1889),
// from generated reduction; minimized.
// crash: SIGSEGV in ir.py:apply_named_sequence (in gpu_tile.py:run)
// Fixed: kiln-fold-zero-size folds linalg.reduce (it has no operandSegmentSizes) over an
// empty dimension into its init before the CUDA tiler sees it.
// RUN: %PYTHON -m kiln.tools.fuzz.check kiln-compile %s --target=cuda --emit=ptx -o /dev/null

func.func @f(%a: tensor<3x100x0xf32>) -> (tensor<3xf32>) {
  %c_init = arith.constant 0.0 : f32
  %c_e = tensor.empty() : tensor<3xf32>
  %c = linalg.fill ins(%c_init : f32) outs(%c_e : tensor<3xf32>) -> tensor<3xf32>
  %r = linalg.reduce ins(%a : tensor<3x100x0xf32>) outs(%c : tensor<3xf32>) dimensions = [1, 2]
    (%x: f32, %acc: f32) {
      %s = arith.addf %x, %acc : f32
      linalg.yield %s : f32
    }
  return %r : tensor<3xf32>
}
