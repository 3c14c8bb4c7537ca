"""The cuda pipeline end to end without a GPU: each schedule down to PTX (and cubin with ptxas).

Checks what can be checked without running kernels: kernel counts, launch
plans, the PTX of each schedule (mma.sync for tensor cores), and that ptxas
assembles it. ptxas is expected wherever a CUDA toolkit is installed (or
KILN_EXPECT_PTXAS=1): there, its absence fails the tests that need it.
"""

from __future__ import annotations

import glob
import os
import re
import shutil

import numpy as np
import pytest
from kiln.lowering.cuda.gpu_launch_plan import Launch, Ref
from kiln.lowering.cuda.pipeline import CudaTarget, compile_cuda, cuda_pipeline

from kiln.ir import new_context, parse_module

PTXAS_EXPECTED = bool(
    os.environ.get("KILN_EXPECT_PTXAS") or glob.glob("/usr/local/cuda*/bin/ptxas")
)

ELEMENTWISE = """
#id = affine_map<(d0, d1) -> (d0, d1)>
func.func @gelu_ish(%x: tensor<256x512xf32>) -> tensor<256x512xf32> {
  %e = tensor.empty() : tensor<256x512xf32>
  %r = linalg.generic {indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}
      ins(%x : tensor<256x512xf32>) outs(%e : tensor<256x512xf32>) {
  ^bb0(%a: f32, %o: f32):
    %t = math.tanh %a : f32
    %m = arith.mulf %a, %t : f32
    linalg.yield %m : f32
  } -> tensor<256x512xf32>
  return %r : tensor<256x512xf32>
}
"""

MATMUL = """
func.func @mm(%a: tensor<128x256x{t}>, %b: tensor<256x64x{t}>) -> tensor<128x64x{t}> {{
  %zero = arith.constant 0.0 : {t}
  %e = tensor.empty() : tensor<128x64x{t}>
  %c = linalg.fill ins(%zero : {t}) outs(%e : tensor<128x64x{t}>) -> tensor<128x64x{t}>
  %r = linalg.matmul ins(%a, %b : tensor<128x256x{t}>, tensor<256x64x{t}>)
      outs(%c : tensor<128x64x{t}>) -> tensor<128x64x{t}>
  return %r : tensor<128x64x{t}>
}}
"""

# A linear layer with constant weights and a bias + relu epilogue (two kernels).
LINEAR = """
#id = affine_map<(d0, d1) -> (d0, d1)>
#row = affine_map<(d0, d1) -> (d1)>
func.func @linear(%x: tensor<16x8xf32>) -> tensor<16x4xf32> {
  %w = arith.constant dense<0.5> : tensor<8x4xf32>
  %bias = arith.constant dense<[1.0, 2.0, 3.0, 4.0]> : tensor<4xf32>
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<16x4xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<16x4xf32>) -> tensor<16x4xf32>
  %mm = linalg.matmul ins(%x, %w : tensor<16x8xf32>, tensor<8x4xf32>)
      outs(%c : tensor<16x4xf32>) -> tensor<16x4xf32>
  %r = linalg.generic {indexing_maps = [#id, #row, #id], iterator_types = ["parallel", "parallel"]}
      ins(%mm, %bias : tensor<16x4xf32>, tensor<4xf32>) outs(%e : tensor<16x4xf32>) {
  ^bb0(%a: f32, %b: f32, %o: f32):
    %s = arith.addf %a, %b : f32
    %m = arith.maximumf %s, %zero : f32
    linalg.yield %m : f32
  } -> tensor<16x4xf32>
  return %r : tensor<16x4xf32>
}
"""

ROW_SUM = """
#id = affine_map<(d0, d1) -> (d0, d1)>
#rows = affine_map<(d0, d1) -> (d0)>
func.func @row_sum(%x: tensor<300x77xf32>) -> tensor<300xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<300xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<300xf32>) -> tensor<300xf32>
  %r = linalg.generic {indexing_maps = [#id, #rows], iterator_types = ["parallel", "reduction"]}
      ins(%x : tensor<300x77xf32>) outs(%c : tensor<300xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  } -> tensor<300xf32>
  return %r : tensor<300xf32>
}
"""


COLUMN_SUM = """
#id = affine_map<(d0, d1) -> (d0, d1)>
#cols = affine_map<(d0, d1) -> (d1)>
func.func @column_sum(%x: tensor<77x300xf32>) -> tensor<300xf32> {
  %zero = arith.constant 0.0 : f32
  %e = tensor.empty() : tensor<300xf32>
  %c = linalg.fill ins(%zero : f32) outs(%e : tensor<300xf32>) -> tensor<300xf32>
  %r = linalg.generic {indexing_maps = [#id, #cols], iterator_types = ["reduction", "parallel"]}
      ins(%x : tensor<77x300xf32>) outs(%c : tensor<300xf32>) {
  ^bb0(%a: f32, %o: f32):
    %s = arith.addf %a, %o : f32
    linalg.yield %s : f32
  } -> tensor<300xf32>
  return %r : tensor<300xf32>
}
"""


def compile_text(text: str, target: CudaTarget, tmp_path=None):
    """(module after the nvvm stage, CudaCompilation) for MLIR ``text``."""
    module = parse_module(text, new_context())
    dump = str(tmp_path) if tmp_path is not None else None
    return module, compile_cuda(module, target, dump_dir=dump, name="case")


def require_ptxas() -> None:
    """Fails when ptxas is expected here but missing; skips on machines without CUDA."""
    if shutil.which("ptxas"):
        return
    if PTXAS_EXPECTED:
        pytest.fail("ptxas is expected on this machine (CUDA toolkit present) but not on PATH")
    pytest.skip("no CUDA toolkit on this machine: the PTX is checked, not assembled")


def entries(ptx: str) -> dict[str, int]:
    """PTX ``.entry`` name -> its number of ``.param``s."""
    found = {}
    for name, params in re.findall(r"\.visible \.entry (\w+)\(\n(.*?)\n\)", ptx, flags=re.S):
        found[name] = params.count(".param")
    return found


def test_stage_names_and_default_target():
    pipeline = cuda_pipeline()
    assert pipeline.stage_names() == [
        "graph",
        "tiled",
        "bufferized",
        "gpu",
        "nvvm",
        "llvm-ir",
        "ptx",
        "cubin",
    ]
    assert pipeline.mlir_stage_names() == ["graph", "tiled", "bufferized", "gpu", "nvvm"]
    assert pipeline.options["target"] == CudaTarget()
    assert "nvvm-attach-target{chip=sm_90 O=3}" in pipeline.stage("nvvm").passes


def test_a_target_of_another_kind_is_refused():
    """No silent fallback to the default: a CPU target is an error (kiln-opt once passed one)."""
    from kiln.lowering.cpu.pipeline import CpuTarget

    with pytest.raises(TypeError, match="cuda_pipeline takes a CudaTarget, got CpuTarget"):
        cuda_pipeline(CpuTarget())


def test_target_validation():
    with pytest.raises(ValueError, match="chip must look like 'sm_90'"):
        CudaTarget(chip="gfx942")
    with pytest.raises(ValueError, match="sm_50 and newer"):
        CudaTarget(chip="sm_35")
    assert CudaTarget(chip="sm_90a").sm == 90


@pytest.mark.parametrize(
    ("row", "offset", "vector"), [(132, 4, True), (132, 1, False), (130, 0, False)]
)
def test_128_bit_accesses_only_on_aligned_slices(row, offset, vector):
    text = f"""
    #id = affine_map<(d0, d1) -> (d0, d1)>
    func.func @slice(%x: tensor<64x{row}xf32>) -> tensor<64x128xf32> {{
      %s = tensor.extract_slice %x[0, {offset}] [64, 128] [1, 1]
          : tensor<64x{row}xf32> to tensor<64x128xf32>
      %e = tensor.empty() : tensor<64x128xf32>
      %r = linalg.generic {{indexing_maps = [#id, #id], iterator_types = ["parallel", "parallel"]}}
          ins(%s : tensor<64x128xf32>) outs(%e : tensor<64x128xf32>) {{
      ^bb0(%a: f32, %o: f32):
        %t = arith.addf %a, %a : f32
        linalg.yield %t : f32
      }} -> tensor<64x128xf32>
      return %r : tensor<64x128xf32>
    }}"""
    _, compiled = compile_text(text, CudaTarget())
    assert ("ld.global.v4" in compiled.binary.ptx) == vector


def test_every_stage_and_step_is_dumped(tmp_path):
    compile_text(ELEMENTWISE, CudaTarget(), tmp_path)
    names = sorted(p.name for p in tmp_path.iterdir())
    stem = names[0].split(".")[0]  # case-<hash of module and pipeline>
    assert stem.startswith("case-")
    stages = ["01-graph.mlir", "02-tiled.mlir", "03-bufferized.mlir", "04-gpu.mlir"]
    stages += ["05-nvvm.mlir", "06-llvm-ir.ll", "07-ptx.ptx"]
    assert {f"{stem}.{s}" for s in stages} <= set(names)
    assert (f"{stem}.08-cubin.cubin" in names) == (shutil.which("ptxas") is not None)


def test_elementwise_ptx_and_plan():
    _, compiled = compile_text(ELEMENTWISE, CudaTarget())
    assert entries(compiled.binary.ptx) == {"gelu_ish_kernel": 2}
    assert "ld.global.v4" in compiled.binary.ptx and "st.global.v4" in compiled.binary.ptx
    plan = compiled.plans["gelu_ish"]
    assert plan.num_outputs == 1 and not plan.temps and not plan.constants
    (launch,) = plan.steps
    assert launch == Launch(
        "gelu_ish_kernel", (1, 128, 1), (128, 2, 1), (Ref("arg", 0), Ref("arg", 1))
    )


@pytest.mark.parametrize("chip", ["sm_80", "sm_90"])
def test_f16_matmul_reaches_mma_sync(chip):
    _, compiled = compile_text(MATMUL.format(t="f16"), CudaTarget(chip=chip))
    ptx = compiled.binary.ptx
    assert f".target {chip}" in ptx
    assert "mma.sync.aligned.m16n8k16.row.col.f16.f16.f16.f16" in ptx
    assert entries(ptx) == {"mm_kernel": 3}


def test_f32_matmul_is_simt_unless_tf32():
    _, simt = compile_text(MATMUL.format(t="f32"), CudaTarget(chip="sm_80"))
    assert "mma.sync" not in simt.binary.ptx
    assert "fma.rn.f32" in simt.binary.ptx and ".shared" in simt.binary.ptx
    _, tf32 = compile_text(MATMUL.format(t="f32"), CudaTarget(chip="sm_80", tf32=True))
    assert "mma.sync.aligned.m16n8k8.row.col.f32.tf32.tf32.f32" in tf32.binary.ptx


def test_linear_plan_uploads_constants_and_chains_kernels():
    _, compiled = compile_text(LINEAR, CudaTarget())
    plan = compiled.plans["linear"]
    assert [s.shape for s in plan.args] == [(16, 8), (16, 4)]
    data = {spec.shape: np.frombuffer(blob, dtype=np.float32) for spec, blob in plan.constants}
    assert sorted(data) == [(4,), (8, 4)]
    np.testing.assert_array_equal(data[(8, 4)], np.full(32, 0.5, np.float32))  # a splat, expanded
    np.testing.assert_array_equal(data[(4,)], [1, 2, 3, 4])
    assert len(plan.steps) == 2 and len(plan.temps) == 1
    matmul, epilogue = plan.steps
    assert Ref("temp", 0) in matmul.args and Ref("temp", 0) in epilogue.args
    assert Ref("arg", 1) in epilogue.args
    assert set(entries(compiled.binary.ptx)) == {matmul.kernel, epilogue.kernel}
    for step in plan.steps:
        assert entries(compiled.binary.ptx)[step.kernel] == len(step.args)


def test_row_reduction_is_a_warp_per_row():
    _, compiled = compile_text(ROW_SUM, CudaTarget())
    (launch,) = compiled.plans["row_sum"].steps
    warps = launch.block[0] // 32
    assert launch.block == (32 * warps, 1, 1) and warps * launch.grid[0] == 300
    assert entries(compiled.binary.ptx) == {launch.kernel: 2}
    assert compiled.binary.ptx.count("shfl.sync.bfly.b32") == 5


def test_column_reduction_is_a_thread_per_output():
    _, compiled = compile_text(COLUMN_SUM, CudaTarget())
    (launch,) = compiled.plans["column_sum"].steps
    threads = launch.block[0] * launch.block[1] * launch.block[2]
    grid = launch.grid[0] * launch.grid[1] * launch.grid[2]
    assert threads * grid == 300 and threads <= 256
    assert "shfl" not in compiled.binary.ptx


@pytest.mark.parametrize("chip", ["sm_80", "sm_90"])
@pytest.mark.parametrize(
    "case", ["elementwise", "matmul_f32", "matmul_f16", "linear", "row_sum", "column_sum"]
)
def test_ptxas_assembles(case, chip):
    require_ptxas()
    text = {
        "elementwise": ELEMENTWISE,
        "matmul_f32": MATMUL.format(t="f32"),
        "matmul_f16": MATMUL.format(t="f16"),
        "linear": LINEAR,
        "row_sum": ROW_SUM,
        "column_sum": COLUMN_SUM,
    }[case]
    _, compiled = compile_text(text, CudaTarget(chip=chip))
    assert compiled.binary.cubin is not None and compiled.binary.cubin[:4] == b"\x7fELF"
