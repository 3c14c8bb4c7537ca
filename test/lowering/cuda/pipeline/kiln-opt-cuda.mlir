// kiln-opt knows the cuda pipeline and its passes (kiln/targets.py lists `cuda`,
// passes/registry.py lists kiln.lowering.cuda.gpu_{tile,distribute,map}).
// RUN: kiln-opt %s --kiln-pipeline=cuda --stop-after=gpu | FileCheck %s
// RUN: kiln-opt %s --kiln-pipeline=cuda --list-stages | FileCheck %s --check-prefix=STAGES
// RUN: kiln-opt %s --kiln-pipeline=cuda --chip=sm_80 --no-tensor-cores --list-stages | FileCheck %s --check-prefix=SM80
// RUN: kiln-opt %s --kiln-pipeline=cuda --chip=sm_80 | FileCheck %s --check-prefix=NVVM80
// RUN: not kiln-opt %s --kiln-pipeline=cuda --kiln-threads=2 2>&1 | FileCheck %s --check-prefix=WRONG-TARGET
// RUN: not kiln-opt %s --kiln-pipeline=cpu --chip=sm_80 2>&1 | FileCheck %s --check-prefix=WRONG-CPU
// RUN: not kiln-opt %s --kiln-pipeline=cuda --chip=sm80 2>&1 | FileCheck %s --check-prefix=BAD-CHIP
// RUN: not kiln-opt %s --kiln-pipeline=cuda --stop-after=ptx 2>&1 | FileCheck %s --check-prefix=TOOL-STAGE
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
// STAGES: llvm-ir:
// STAGES-NEXT: (tool, writes .ll)
// STAGES: ptx:
// STAGES: cubin:

// SM80: kiln-gpu-tile{chip=sm_80 tf32=false tensor-cores=false}
// SM80: nvvm-attach-target{chip=sm_80 O=3}

// Without --stop-after, kiln-opt stops at the last MLIR stage.
// NVVM80: gpu.module @relu_kernel [#nvvm.target<O = 3, chip = "sm_80">]
// NVVM80: llvm.func @relu_kernel

// WRONG-TARGET: kiln-opt: --kiln-threads is not an option of target 'cuda' (its options: --chip, --tf32, --no-tensor-cores)
// WRONG-CPU: kiln-opt: --chip is not an option of target 'cpu' (its options: --kiln-threads, --kiln-vector-width, --kiln-precision, --kiln-[no-]avx512-bf16, --kiln-[no-]avx512-vnni)
// BAD-CHIP: kiln-opt: CudaTarget: chip must look like 'sm_90', got 'sm80'
// TOOL-STAGE: kiln-opt: --stop-after=ptx: stage 'ptx' of pipeline 'cuda' runs a tool after MLIR; kiln-opt writes MLIR (stages graph, tiled, bufferized, gpu, nvvm): use kiln-compile --emit=ptx

// TILED: scf.forall
// TILED: mapping = [#gpu.thread<y>, #gpu.thread<x>]
// TILED: kiln.gpu.block_dims = array<i64: 64, 4, 1>, kiln.gpu.kernel, mapping = [#gpu.block<y>, #gpu.block<x>]

// PASSES-DAG: kiln-gpu-tile:
// PASSES-DAG: kiln-gpu-distribute:
// PASSES-DAG: kiln-gpu-map:
// PASSES: kiln pipelines: {{.*}}cuda
