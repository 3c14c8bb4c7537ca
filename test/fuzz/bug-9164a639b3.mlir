// Found by kiln's fuzzer (python -m kiln.tools.fuzz --seed 1910, case 28),
// from test/passes/fold-constant-layout-edge-shapes.mlir (dim); minimized.
// bug: kiln-sink-transposes: IndexError on linalg.generic
// Fixed: permuted_generic's anchor search assumed a generic has operands (IndexError on
// maps[0]); a zero-operand generic is now left alone. The case now ends in a diagnostic
// (the zero-loop generic is not lowered to loops: convert-linalg-to-loops keeps it and
// kiln-assertions-to-errors splits its block), which the oracle accepts; compiling it is open.
// RUN: %PYTHON -m kiln.tools.fuzz.check kiln-opt %s --kiln-pipeline=cpu

func.func @assert_without_operands(%c: i1) {
  "linalg.generic"() <{indexing_maps = [], iterator_types = [], operandSegmentSizes = array<i32: 0, 0>}> ({
    cf.assert %c, "holds"
    linalg.yield
  }) : () -> ()
  return
}
