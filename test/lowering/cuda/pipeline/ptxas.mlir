// ptxas assembles kiln's PTX for Ampere and Hopper (and the wgmma kernel for sm_90a): elementwise (with libdevice's
// expf linked in), SIMT matmul with shared memory, and the mma.sync matmul.
// REQUIRES: ptxas
// RUN: kiln-compile %s --emit=ptx --chip=sm_80 -o %t.sm80.ptx
// RUN: %ptxas -arch=sm_80 %t.sm80.ptx -o %t.sm80.cubin
// RUN: kiln-compile %s --emit=ptx --chip=sm_90 -o %t.sm90.ptx
// RUN: kiln-compile %S/matmul-wgmma.mlir --emit=ptx --chip=sm_90a -o %t.sm90a.ptx
// RUN: %ptxas -arch=sm_90a %t.sm90a.ptx -o %t.sm90a.cubin
// RUN: %ptxas -arch=sm_90 %t.sm90.ptx -o %t.sm90.cubin
// kiln-compile runs ptxas itself for --emit=cubin:
// RUN: kiln-compile %s --emit=cubin --chip=sm_90 -o %t.cubin
// RUN: %PYTHON -c "import sys; d = open(sys.argv[1], 'rb').read(); print(d[:4] == b'\x7fELF', len(d) > 1000)" %t.cubin | FileCheck %s --check-prefix=ELF
// RUN: FileCheck %s --input-file=%t.sm80.ptx --check-prefix=PTX

// ELF: True True

// PTX: .target sm_80
// PTX-DAG: .visible .entry ew_kernel(
// PTX-DAG: .visible .entry mm_kernel(
// PTX-DAG: .visible .entry mm_f16_kernel(
// PTX-DAG: mma.sync.aligned.m16n8k16.row.col.f16.f16.f16.f16

#id = affine_map<(d0, d1) -> (d0, d1)>

func.func @ew(%x: tensor<64x256xf32>) -> tensor<64x256xf32> {
  %e = tensor.empty() : tensor<64x256xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<64x256xf32>) outs(%e : tensor<64x256xf32>) {
  ^bb0(%a: f32, %o: f32):
    %t = math.exp %a : f32
    linalg.yield %t : f32
  } -> tensor<64x256xf32>
  return %r : tensor<64x256xf32>
}

func.func @mm(%a: tensor<64x128xf32>, %b: tensor<128x64xf32>) -> tensor<64x64xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x64xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<64x64xf32>) -> tensor<64x64xf32>
  %r = linalg.matmul ins(%a, %b : tensor<64x128xf32>, tensor<128x64xf32>) outs(%c : tensor<64x64xf32>) -> tensor<64x64xf32>
  return %r : tensor<64x64xf32>
}

func.func @mm_f16(%a: tensor<64x64xf16>, %b: tensor<64x64xf16>) -> tensor<64x64xf16> {
  %zero = arith.constant 0.0 : f16
  %e = tensor.empty() : tensor<64x64xf16>
  %c = linalg.fill ins(%zero : f16) outs(%e : tensor<64x64xf16>) -> tensor<64x64xf16>
  %r = linalg.matmul ins(%a, %b : tensor<64x64xf16>, tensor<64x64xf16>) outs(%c : tensor<64x64xf16>) -> tensor<64x64xf16>
  return %r : tensor<64x64xf16>
}
