// Found by kiln's fuzzer (python -m kiln.tools.fuzz --seed 171, case 1414),
// from test/lowering/cpu/tile-and-fuse-grouped.mlir (dim); minimized.
// crash: SIGSEGV in ir.py:apply_named_sequence (in tile_and_fuse.py:run)
// Fixed in kiln-tile-and-fuse: a group whose anchor has a zero-size dimension is not
// scheduled as a group (its tilings divide by the extents); a regression test.
// RUN: %PYTHON -m kiln.tools.fuzz.check kiln-opt %s --split-input-file '--pass-pipeline=builtin.module(kiln-form-fusion-groups, kiln-tile-and-fuse{threads=2 vector-width=8})'

#in2 = affine_map<(n, oh, ow, g, f, kh, kw, c) -> (n, oh * 2 + kh, ow * 2 + kw, g, c)>
#fl = affine_map<(n, oh, ow, g, f, kh, kw, c) -> (g, kh, kw, c, f)>
#out = affine_map<(n, oh, ow, g, f, kh, kw, c) -> (n, oh, ow, g, f)>
func.func @grouped_wide_stride2(%x: tensor<0x15x15x4x32xf32>, %w: tensor<4x3x3x32x8xf32>, %init: tensor<0x7x7x4x8xf32>) -> tensor<0x7x7x4x8xf32> {
  %conv = linalg.generic {indexing_maps = [#in2, #fl, #out], iterator_types = ["parallel", "parallel", "parallel", "parallel", "parallel", "reduction", "reduction", "reduction"]}
      ins(%x, %w : tensor<0x15x15x4x32xf32>, tensor<4x3x3x32x8xf32>) outs(%init : tensor<0x7x7x4x8xf32>) {
  ^bb0(%a: f32, %b: f32, %c: f32):
    %m = arith.mulf %a, %b : f32
    %s = arith.addf %c, %m : f32
    linalg.yield %s : f32
  } -> tensor<0x7x7x4x8xf32>
  return %conv : tensor<0x7x7x4x8xf32>
}
