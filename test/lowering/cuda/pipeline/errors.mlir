// Inputs the cuda pipeline rejects, with a diagnostic naming the stage and the op.
// RUN: not kiln-compile %s --emit=ptx 2>&1 | FileCheck %s
// RUN: not kiln-compile %s --emit=ptx --chip=gfx90a 2>&1 | FileCheck %s --check-prefix=CHIP

// CHECK: kiln-compile: error: kiln: stage 'tiled' failed in pass 'kiln-gpu-tile{{.*}}':
// CHECK-NEXT: {{.*}}errors.mlir:{{[0-9]+}}:{{[0-9]+}}: error: kiln-gpu-tile: linalg.generic has dynamic shapes
// CHECK: replay with:
// CHECK-NEXT: kiln-opt {{.*}}kiln-gpu-tile

// CHIP: kiln-compile: error: CudaTarget: chip must look like 'sm_90', got 'gfx90a'

#id = affine_map<(d0) -> (d0)>

func.func @dynamic(%x: tensor<?xf32>) -> tensor<?xf32> {
  %c0 = arith.constant 0 : index
  %n = tensor.dim %x, %c0 : tensor<?xf32>
  %e = tensor.empty(%n) : tensor<?xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel"]}
      ins(%x : tensor<?xf32>) outs(%e : tensor<?xf32>) {
  ^bb0(%a: f32, %o: f32):
    %t = arith.addf %a, %a : f32
    linalg.yield %t : f32
  } -> tensor<?xf32>
  return %r : tensor<?xf32>
}
