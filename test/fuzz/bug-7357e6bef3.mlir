// Found by kiln's fuzzer (python -m kiln.tools.fuzz --seed 13, case 605),
// from test/dialects/kiln-ops.mlir (dim); minimized.
// bug: kiln-tile-and-fuse: StopIteration on arith.addf
// Fixed: kiln-tile-and-fuse inlines a group with no anchor it can schedule around
// and tiles its ops alone.
// RUN: %PYTHON -m kiln.tools.fuzz.check kiln-opt %s --kiln-pipeline=cpu

func.func @group(%a: tensor<1024xf32>) -> tensor<1024xf32> {
  %r = "kiln.fusion_group"() ({
    %0 = arith.addf %a, %a : tensor<1024xf32>
    "kiln.yield"(%0) : (tensor<1024xf32>) -> ()
  }) {anchor = "arith.addf", kind = "elementwise"} : () -> tensor<1024xf32>
  return %r : tensor<1024xf32>
}
