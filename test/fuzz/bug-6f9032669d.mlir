// Found by kiln's fuzzer (python -m kiln.tools.fuzz --seed 79, case 1556),
// from test/dialects/kiln-ops.mlir (dim); minimized.
// bug: kiln-fuse-elementwise: MLIRError
// Fixed: kiln-fold-zero-size erases a fusion group whose results have no elements.
// RUN: %PYTHON -m kiln.tools.fuzz.check kiln-compile %s --target=cuda --emit=ptx -o /dev/null

func.func @group(%a: tensor<0xf32>) -> tensor<0xf32> {
  %r = "kiln.fusion_group"() ({
    %0 = arith.addf %a, %a : tensor<0xf32>
    "kiln.yield"(%0) : (tensor<0xf32>) -> ()
  }) {anchor = "arith.addf", kind = "elementwise"} : () -> tensor<0xf32>
  return %r : tensor<0xf32>
}
