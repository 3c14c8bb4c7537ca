// kiln-opt knows the cuda pipeline and its passes (needs kiln/pipelines.py to list
// `cuda` and passes/registry.py to list kiln.lowering.gpu_{tile,distribute,map}).
// RUN: kiln-opt %s --kiln-pipeline=cuda --stop-after=gpu | FileCheck %s
// RUN: kiln-opt %s --kiln-pipeline=cuda --list-stages | FileCheck %s --check-prefix=STAGES
// RUN: kiln-opt %s --pass-pipeline='builtin.module(kiln-gpu-tile{chip=sm_80}, canonicalize)' | FileCheck %s --check-prefix=TILED
// RUN: kiln-opt --list-passes | FileCheck %s --check-prefix=PASSES

#id = affine_map<(d0, d1) -> (d0, d1)>

func.func @relu(%x: tensor<64x256xf32>) -> tensor<64x256xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<64x256xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<64x256xf32>) outs(%e : tensor<64x256xf32>) {
  ^bb0(%a: f32, %o: f32):
    %t = arith.maximumf %a, %zero : f32
    linalg.yield %t : f32
  } -> tensor<64x256xf32>
  return %r : tensor<64x256xf32>
}

// CHECK: gpu.launch_func{{.*}}@relu_kernel::@relu_kernel
// CHECK: gpu.module @relu_kernel

// STAGES: graph:
// STAGES: tiled:
// STAGES-NEXT: kiln-gpu-tile{chip=sm_90 tf32=false tensor-cores=true}
// STAGES: bufferized:
// STAGES: gpu:
// STAGES: nvvm:
// STAGES-NEXT: nvvm-attach-target{chip=sm_90 O=3}

// TILED: scf.forall
// TILED: mapping = [#gpu.thread<y>, #gpu.thread<x>]
// TILED: kiln.gpu.block_dims = array<i64: 64, 4, 1>, kiln.gpu.kernel, mapping = [#gpu.block<y>, #gpu.block<x>]

// PASSES-DAG: kiln-gpu-tile:
// PASSES-DAG: kiln-gpu-distribute:
// PASSES-DAG: kiln-gpu-map:
// PASSES: kiln pipelines: {{.*}}cuda
