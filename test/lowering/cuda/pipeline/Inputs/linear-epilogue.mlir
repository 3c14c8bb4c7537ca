// A half Linear with bias, a GELU-like activation and a residual, as torch-mlir and
// kiln's graph stage give it: the matmul's f32 sums feed one elementwise op.
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
func.func @linear(%x: tensor<256x512xf16>, %w: tensor<512x384xf16>, %bias: tensor<384xf16>,
                  %res: tensor<256x384xf16>) -> tensor<256x384xf16> {
  %zero = arith.constant 0.0 : f32
  %half = arith.constant 0.5 : f16
  %e = tensor.empty() : tensor<256x384xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<256x384xf32>) -> tensor<256x384xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<256x512xf16>, tensor<512x384xf16>) outs(%c : tensor<256x384xf32>) -> tensor<256x384xf32>
  %e2 = tensor.empty() : tensor<256x384xf16>
  %y = linalg.generic {indexing_maps = [#id, #row, #id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%res, %bias, %mm : tensor<256x384xf16>, tensor<384xf16>, tensor<256x384xf32>) outs(%e2 : tensor<256x384xf16>) {
  ^bb0(%r: f16, %b: f16, %s: f32, %out: f16):
    %bf = arith.extf %b : f16 to f32
    %t = arith.addf %s, %bf : f32
    %h = arith.truncf %t : f32 to f16
    %g = math.erf %h : f16
    %m = arith.mulf %g, %half : f16
    %o = arith.addf %r, %m : f16
    linalg.yield %o : f16
  } -> tensor<256x384xf16>
  return %y : tensor<256x384xf16>
}
