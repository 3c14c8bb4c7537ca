// Found by kiln's fuzzer (python -m kiln.tools.fuzz --seed 13, case 370),
// from test/lowering/cuda/gpu-wgmma.mlir (swap); minimized.
// bug: kiln-gpu-distribute: KeyError on linalg.matmul
// Fixed: kiln-gpu-distribute reports a marker without its tile sizes at the op.
// RUN: %PYTHON -m kiln.tools.fuzz.check kiln-compile %s --target=cuda --emit=ptx -o /dev/null

func.func @unmarked(%a: memref<128x64xf16>, %b: memref<64x128xf16>, %c: memref<128x128xf32>) {
  scf.forall (%i, %j) in (1, 1) {
    linalg.matmul {kiln.gpu.mma} ins(%a, %b : memref<128x64xf16>, memref<64x128xf16>) outs(%c : memref<128x128xf32>)
  } {kiln.gpu.block_dims = array<i64: 128, 1, 1>, kiln.gpu.kernel, mapping = [#gpu.block<y>, #gpu.block<x>]}
  return
}
