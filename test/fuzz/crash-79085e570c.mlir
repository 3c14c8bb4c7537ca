// Found by kiln's fuzzer (python -m kiln.tools.fuzz --seed 21, case 1804),
// from test/lowering/cuda/pipeline/warp-reduce-named.mlir (number); minimized.
// crash: SIGSEGV in ir.py:parse_module
// MLIR's own parser (torch-mlir 20261001) segfaults on a float in the dense i64 array of
// linalg's custom syntax (dimensions = [0.0]; linalg.transpose permutation = [1.0, 0] too):
// upstream, before any kiln code runs. The tools parse in a forked probe first
// (kiln/parse_probe.py), so the case ends with an error, not a signal.
// RUN: %PYTHON -m kiln.tools.fuzz.check kiln-opt %s --kiln-pipeline=cpu

  %r = linalg.reduce ins(%a : tensor<64x64x64xf32>) outs(%c : tensor<64x64xf32>) dimensions = [0.0]
